"""Development: `make run` and the shell. Debug on, demo data allowed."""

from .base import *  # noqa: F403
from .base import DATABASE_URL, database_from_url, env

if not DATABASE_URL:
    # No DATABASE_URL: the embedded PostgreSQL under .data/ (pgserver, a development dependency).
    from jeonju_prepay.embedded_db import database_url

    DATABASE_URL = database_url()
    DATABASES = {"default": database_from_url(DATABASE_URL)}

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-not-secret-jeonju-prepay-0000000000000000000000")
DEMO_DATA_ALLOWED = True
# Whitenoise serves from STATICFILES_DIRS directly while debugging: no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise expects it to exist
