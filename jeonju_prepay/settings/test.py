"""The test suite: same PostgreSQL rules as production, fast password hashing."""

from .base import *  # noqa: F403
from .base import DATABASE_URL, database_from_url, env

if not DATABASE_URL:
    # No DATABASE_URL: the embedded PostgreSQL under .data/ (pgserver, a development dependency).
    from jeonju_prepay.embedded_db import database_url

    DATABASE_URL = database_url()
    DATABASES = {"default": database_from_url(DATABASE_URL)}

DEBUG = False
SECRET_KEY = "test-only-not-secret-jeonju-prepay-00000000000000000000000000000000"  # noqa: S105
DEMO_DATA_ALLOWED = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CONN_MAX_AGE = 0
# Tests run Celery tasks in-process unless a test starts a real worker itself.
CELERY_TASK_ALWAYS_EAGER = True
# The suite sets the clock and the cache per test; keep rate-limit state in this process.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "KEY_FUNCTION": "django_tenants.cache.make_key",
    }
}
REDIS_URL = env("REDIS_URL", default="")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise expects it to exist
