"""Settings shared by every environment, read from the environment (12-factor).

Local, test and production modules import this one and change only what differs.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[".localhost", "localhost", "127.0.0.1"])

# --- Tenancy (django-tenants): one PostgreSQL schema per city -----------------------------------
# The public schema holds cities, their domains and the platform operators; everything a city owns
# (its users, sessions, money) lives in the city's own schema.

SHARED_APPS = [
    "django_tenants",
    "cities",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django.contrib.humanize",
    "django_celery_beat",
    "accounts",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "csp",
]

TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "accounts",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.kakao",
    "allauth.socialaccount.providers.naver",
    "rest_framework.authtoken",
    "districts",
    "ledger",
    "merchants",
    "vouchers",
    "campaigns",
    "rentals",
    "dashboard",
]

INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "cities.City"
TENANT_DOMAIN_MODEL = "cities.Domain"
PUBLIC_SCHEMA_URLCONF = "jeonju_prepay.urls_public"
ROOT_URLCONF = "jeonju_prepay.urls_city"
PUBLIC_DOMAIN = env("PUBLIC_DOMAIN", default="localhost")
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

# --- Database -------------------------------------------------------------------------------------


def _database_from_url(url: str) -> dict:
    config = environ.Env.db_url_config(url)
    options = config.setdefault("OPTIONS", {})
    if "host" in options:  # unix socket given as ?host=/path (the embedded server)
        config["HOST"] = options.pop("host")
    config["ENGINE"] = "django_tenants.postgresql_backend"
    config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASE_URL = env("DATABASE_URL", default="")
if not DATABASE_URL:
    from jeonju_prepay.embedded_db import database_url

    DATABASE_URL = database_url()
DATABASES = {"default": _database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery ---------------------------------------------------------------------

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_FUNCTION": "django_tenants.cache.make_key",
        }
    }
else:
    # Shared by every process (gunicorn workers, runserver), so rate limits hold across them.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "public_cache",
            "KEY_FUNCTION": "django_tenants.cache.make_key",
        }
    }

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Seoul"
# django-celery-beat's schedule (public schema), tenant-aware: see dashboard/scheduler.py.
CELERY_BEAT_SCHEDULER = "dashboard.scheduler:PublicDatabaseScheduler"
# The queue tasks are sent to and workers read by default (a test worker gets one of its own).
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
# A task a dead worker held is delivered again after this long (acks_late: the runs are
# idempotent, so a second delivery finishes the job and doubles nothing).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}
NIGHTLY_HOUR = 2  # 02:00 Asia/Seoul

# --- Django ---------------------------------------------------------------------------------------

MIDDLEWARE = [
    "cities.middleware.CityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "jeonju_prepay.middleware.NulCharacterMiddleware",
    "jeonju_prepay.middleware.DomainErrorMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.navigation",
            ],
            "builtins": ["jeonju_prepay.templatetags.won", "jeonju_prepay.templatetags.korean"],
        },
    }
]

WSGI_APPLICATION = "jeonju_prepay.wsgi.application"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.CityAuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- allauth: email login, Kakao and Naver wired but off until keys are configured -----------------

# Behind a reverse proxy that overwrites this header with the client's address (deploy/nginx.conf
# sets X-Real-IP), the per-address limits (code look-ups, API tokens, allauth's sign-in failures)
# count clients rather than the proxy. Unset, only the socket's address counts: a header the
# client wrote itself must not choose its own address.
TRUSTED_CLIENT_IP_HEADER = env("TRUSTED_CLIENT_IP_HEADER", default=None)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = TRUSTED_CLIENT_IP_HEADER
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="none")
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    # Locked well before the 10th wrong password for one address.
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
}
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    "kakao": {
        "APPS": (
            [
                {
                    "client_id": env("KAKAO_CLIENT_ID"),
                    "secret": env("KAKAO_SECRET", default=""),
                }
            ]
            if env("KAKAO_CLIENT_ID", default="")
            else []
        )
    },
    "naver": {
        "APPS": (
            [{"client_id": env("NAVER_CLIENT_ID"), "secret": env("NAVER_SECRET", default="")}]
            if env("NAVER_CLIENT_ID", default="")
            else []
        )
    },
}

# --- Internationalisation: Korean first, English second --------------------------------------------

LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

# --- Static files, served by whitenoise from our own files (no CDN) ------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".data" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / ".data" / "media"
PRIVATE_FILES_ROOT = Path(env("PRIVATE_FILES_ROOT", default=str(BASE_DIR / ".data" / "private")))

# --- Content Security Policy: no inline scripts, everything from our own origin -----------------

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- API ------------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "merchants.authentication.DeviceTokenAuthentication",
        "accounts.authentication.UserTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "jeonju_prepay.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["jeonju_prepay.api.StrictJSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jeonju Prepay API",
    "DESCRIPTION": (
        "City-scoped API: every path is served on a city's host (e.g. jeonju.localhost). "
        "POSTs that move money take an Idempotency-Key header."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "jeonju_prepay.api.document_error_responses",
    ],
}

# --- Money ----------------------------------------------------------------------------------------

# The largest single amount any money call accepts: 100 million won. Anything larger is a typo.
MONEY_MAX_AMOUNT = 100_000_000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # 4xx answers are logged here; a load test or a noisy client may want them quieter.
        "django.request": {"level": env("REQUEST_LOG_LEVEL", default="WARNING")},
        "pgserver": {"level": "WARNING"},
    },
}

# django-tenants issues `SET search_path` once per schema switch instead of on every cursor
# (it forgets the setting on rollback, so an aborted transaction cannot leave a stale path).
TENANT_LIMIT_SET_CALLS = True

# The incentive budget is split into this many ledger sub-accounts (see vouchers/services.py).
INCENTIVE_BUDGET_SHARDS = env.int("INCENTIVE_BUDGET_SHARDS", default=16)
# The sandbox payment gateway's signing secret (derived from SECRET_KEY when unset).
SANDBOX_PG_SECRET = env("SANDBOX_PG_SECRET", default="")
SANDBOX_PG_ENABLED = env.bool("SANDBOX_PG_ENABLED", default=True)
# bench/counter_bench.py serves the floor view only when this is on (never in production).
BENCH_ENDPOINTS = env.bool("BENCH_ENDPOINTS", default=False)
