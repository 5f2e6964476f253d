"""Production: everything from the environment, HTTPS only, `check --deploy` clean.

It refuses to start when a setting that has a development default is missing: a production
process that silently fell back to the embedded database, eager tasks, a known secret key or
mail printed to the console would look healthy while losing data or mail.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

# What production cannot run without, and what each is for (named in the refusal).
REQUIRED_ENVIRONMENT = {
    "DATABASE_URL": "PostgreSQL, e.g. postgres://prepay:secret@db.internal:5432/prepay",
    "REDIS_URL": "Celery's broker and the cache, e.g. redis://redis.internal:6379/0",
    "SECRET_KEY": "a long random string (python -c 'import secrets; print(secrets.token_urlsafe(50))')",
    "EMAIL_URL": "how mail leaves, e.g. smtp+tls://user:password@smtp.example.kr:587",
}


def missing_environment(environ) -> list[str]:
    """The required variables that are unset or empty in ``environ``."""
    return [name for name in REQUIRED_ENVIRONMENT if not str(environ.get(name, "")).strip()]


# base.py has read a .env file into os.environ already (without overwriting what was set).
_missing = missing_environment(os.environ)
if _missing:
    raise ImproperlyConfigured(
        "Production settings refuse to start without "
        + ", ".join(_missing)
        + ".\n"
        + "\n".join(f"  {name}: {REQUIRED_ENVIRONMENT[name]}" for name in _missing)
        + "\nSee docs/operations.md (Deploy)."
    )

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
DEMO_DATA_ALLOWED = False
SANDBOX_PG_ENABLED = env.bool("SANDBOX_PG_ENABLED", default=False)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The health check is read over plain HTTP inside the deployment (so is /metrics, which is
# answered before this redirect: jeonju_prepay/metrics.py).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
BENCH_ENDPOINTS = False
