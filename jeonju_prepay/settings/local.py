"""Development: `make run` and the shell. Demo data allowed.

Errors look as they do in production: DEBUG stays off unless the environment turns it on
(`DEBUG=true make run`), so a missing page is the app's 404 page (``handler404``) and a crash the
500 page, never Django's debug page with its settings and traceback. What debugging gave
`make run` is kept on its own: static files straight from ``static/`` and refreshed on every
change, and every error's traceback in the console (the ``django.request`` logger).
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="dev-only-not-secret-jeonju-prepay-0000000000000000000000")
DEMO_DATA_ALLOWED = True
# Whitenoise serves from STATICFILES_DIRS directly while debugging: no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise expects it to exist
