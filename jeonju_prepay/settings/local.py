"""Development: `make run` and the shell. Demo data allowed.

Errors look as they do in production: DEBUG stays off unless the environment turns it on
(`DEBUG=true make run`), so a missing page is the app's 404 page (``handler404``) and a crash the
500 page, never Django's debug page with its settings and traceback. What debugging gave
`make run` is kept on its own: static files straight from ``static/`` and refreshed on every
change, and every error's traceback in the console (the ``django.request`` logger).
"""

from .base import *  # noqa: F403
from .base import DATABASE_URL, database_from_url, env

if not DATABASE_URL:
    # No DATABASE_URL: the embedded PostgreSQL under .data/ (pgserver, a development dependency).
    from jeonju_prepay.embedded_db import database_url

    DATABASE_URL = database_url()
    DATABASES = {"default": database_from_url(DATABASE_URL)}

DEBUG = env.bool("DEBUG", default=False)


def _installation_secret(name: str) -> str:
    """A random secret of this installation, made on first use and kept under .data/ (never in
    the repository): a key written in a settings file would let anyone who reads the code sign
    sessions or sandbox-gateway callbacks of every `make run`."""
    import os
    import secrets
    from pathlib import Path

    folder = Path(env("JP_DATA_DIR", default=str(BASE_DIR / ".data")))  # noqa: F405
    path = folder / f"{name}.secret"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        try:
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        except FileExistsError:
            pass  # another process made it first
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY", default="") or _installation_secret("secret-key")
SANDBOX_PG_SECRET = env("SANDBOX_PG_SECRET", default="") or _installation_secret("sandbox-pg")
DEMO_DATA_ALLOWED = True
# The sandbox message provider's outbox page (/messages/sandbox/) is where `make run`'s sign-in
# codes and receipts are read, whatever DEBUG says.
MESSAGING_SANDBOX_PAGE = env.bool("MESSAGING_SANDBOX_PAGE", default=True)
# Whitenoise serves from STATICFILES_DIRS directly while debugging: no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise expects it to exist
