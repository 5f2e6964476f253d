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
    "messaging",
    "districts",
    "ledger",
    "merchants",
    "vouchers",
    "campaigns",
    "cards",
    "sales",
    "grants",
    "counter",
    "rentals",
    "workplaces",
    "dashboard",
    "operations",
    "solidarity",
    "fraud",
]

INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "cities.City"
TENANT_DOMAIN_MODEL = "cities.Domain"
PUBLIC_SCHEMA_URLCONF = "jeonju_prepay.urls_public"
ROOT_URLCONF = "jeonju_prepay.urls_city"
PUBLIC_DOMAIN = env("PUBLIC_DOMAIN", default="localhost")
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

# --- Database -------------------------------------------------------------------------------------


def database_from_url(url: str) -> dict:
    config = environ.Env.db_url_config(url)
    options = config.setdefault("OPTIONS", {})
    if "host" in options:  # unix socket given as ?host=/path (the embedded server)
        config["HOST"] = options.pop("host")
    # django-tenants' backend with a health check that needs no round trip when the socket is
    # quiet (jeonju_prepay/postgresql_backend/base.py).
    config["ENGINE"] = "jeonju_prepay.postgresql_backend"
    config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True
    return config


# Required in production (settings/production.py refuses to start without it). Development and
# the suite fall back to the embedded PostgreSQL (settings/local.py, settings/test.py).
DATABASE_URL = env("DATABASE_URL", default="")
DATABASES = {"default": database_from_url(DATABASE_URL)} if DATABASE_URL else {}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Email ------------------------------------------------------------------------------------------

# One URL says how mail leaves (django-environ): smtp+tls://user:password@smtp.example.kr:587,
# consolemail:// (printed), dummymail:// (dropped). Required in production.
EMAIL_URL = env("EMAIL_URL", default="")
globals().update(environ.Env.email_url_config(EMAIL_URL or "consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Redis, cache, Celery ---------------------------------------------------------------------

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "jeonju_prepay.cache.RedisCache",
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
CELERY_BEAT_SCHEDULER = "operations.scheduler:PublicDatabaseScheduler"
# The queue tasks are sent to and workers read by default (a test worker gets one of its own).
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
# A task a dead worker held is delivered again after this long (acks_late: the runs are
# idempotent, so a second delivery finishes the job and doubles nothing).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}
NIGHTLY_HOUR = 2  # 02:00 Asia/Seoul
# Task modules that are not an app's tasks.py.
CELERY_IMPORTS = ["vouchers.toss_tasks"]
# Celery keeps Django's LOGGING (city and task id on every line) instead of its own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Django ---------------------------------------------------------------------------------------

MIDDLEWARE = [
    "jeonju_prepay.observability.RequestIdMiddleware",
    "jeonju_prepay.metrics.MetricsMiddleware",
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
    "jeonju_prepay.middleware.CSPMiddleware",  # django-csp's, the policy built once
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
# Signing up with Kakao or Naver shows the sign-up form too: its consents must be asked.
SOCIALACCOUNT_AUTO_SIGNUP = False
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
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "jeonju_prepay.api.JSONFirstContentNegotiation",
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

# Every line says which city (the schema, django-tenants' TenantContextFilter) and which request
# or Celery task (its id; the same X-Request-ID is in the response and nginx's access log).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "city": {"()": "jeonju_prepay.observability.CityFilter"},
        "request_id": {"()": "jeonju_prepay.observability.RequestIdFilter"},
    },
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s [%(schema_name)s %(request_id)s] %(name)s "
            "%(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["city", "request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # 4xx answers are logged here; a load test or a noisy client may want them quieter.
        "django.request": {"level": env("REQUEST_LOG_LEVEL", default="WARNING")},
        "pgserver": {"level": "WARNING"},
    },
}

# setup_platform (and `migrate_schemas --executor=multiprocessing`) migrates this many cities at a
# time, each process on a connection of its own; one city per task, so a slow one holds up
# nobody else's.
TENANT_MULTIPROCESSING_MAX_PROCESSES = env.int("MIGRATION_PROCESSES", default=2)
TENANT_MULTIPROCESSING_CHUNKS = 1

# django-tenants issues `SET search_path` once per schema switch instead of on every cursor
# (it forgets the setting on rollback, so an aborted transaction cannot leave a stale path).
TENANT_LIMIT_SET_CALLS = True

# Stored answers to money requests (ledger.IdempotencyRecord) are replayed to retries for this
# many days, then purged daily (ledger/tasks.py); at least 7.
IDEMPOTENCY_RETENTION_DAYS = env.int("IDEMPOTENCY_RETENTION_DAYS", default=30)

# The incentive budget is split into this many ledger sub-accounts (see vouchers/services.py).
INCENTIVE_BUDGET_SHARDS = env.int("INCENTIVE_BUDGET_SHARDS", default=16)
# --- Payment providers (vouchers/providers.py) ------------------------------------------------------

# Which provider takes a city's card money: PAYMENT_PROVIDER_BY_CITY="jeonju=toss,wanju=toss",
# every other city PAYMENT_PROVIDER (the sandbox: development and demos).
PAYMENT_PROVIDER_DEFAULT = env("PAYMENT_PROVIDER", default="sandbox")
PAYMENT_PROVIDER_BY_CITY = env.dict("PAYMENT_PROVIDER_BY_CITY", default={})
# Toss Payments (vouchers/provider_toss.py): the merchant's keys from Toss's developer centre
# (test_ck_/test_sk_ for testing, live_ for money), the API and the SDK. A city with a merchant
# account of its own sets TOSS_SECRET_KEY__<SCHEMA>, TOSS_CLIENT_KEY__<SCHEMA> (and
# TOSS_WEBHOOK_SECURITY_KEY__<SCHEMA>), e.g. TOSS_SECRET_KEY__JEONJU.
TOSS_SECRET_KEY = env("TOSS_SECRET_KEY", default="")
TOSS_CLIENT_KEY = env("TOSS_CLIENT_KEY", default="")
TOSS_WEBHOOK_SECURITY_KEY = env("TOSS_WEBHOOK_SECURITY_KEY", default="")
# The reconciliation reads Toss's transactions and settlements from this moment (UTC) on: the
# day the city started taking payments through Toss (per city: TOSS_CITY_KEYS' reconcile_since).
TOSS_RECONCILE_SINCE = env("TOSS_RECONCILE_SINCE", default="2026-01-01T00:00:00")
TOSS_CITY_KEYS: dict[str, dict[str, str]] = {}
for _name, _value in sorted(env.ENVIRON.items()):
    for _setting in ("secret_key", "client_key", "webhook_security_key"):
        _prefix = f"TOSS_{_setting.upper()}__"
        if _name.startswith(_prefix) and _value:
            TOSS_CITY_KEYS.setdefault(_name[len(_prefix) :].lower(), {})[_setting] = _value
TOSS_API_BASE = env("TOSS_API_BASE", default="https://api.tosspayments.com")
TOSS_JS_URL = env("TOSS_JS_URL", default="https://js.tosspayments.com/v2/standard")
# The checkout page lets Toss's payment window load from these (its CSP), besides TOSS_JS_URL.
TOSS_CSP_ORIGINS = env.list("TOSS_CSP_ORIGINS", default=["https://*.tosspayments.com"])
# Seconds to connect to Toss, and to wait for its answer (a confirm can take a while: the card
# company answers within it). A confirm that times out is looked up, never lost.
TOSS_CONNECT_TIMEOUT = env.float("TOSS_CONNECT_TIMEOUT", default=3.0)
TOSS_READ_TIMEOUT = env.float("TOSS_READ_TIMEOUT", default=30.0)

# The sandbox payment gateway's signing secret (derived from SECRET_KEY when unset).
SANDBOX_PG_SECRET = env("SANDBOX_PG_SECRET", default="")
SANDBOX_PG_ENABLED = env.bool("SANDBOX_PG_ENABLED", default=True)
# The share of card cancels the sandbox gateway fails as if it did not answer (the bank test's
# provider outages; the outbox retries them). 0 everywhere else.
SANDBOX_PG_FAIL_RATE = env.float("SANDBOX_PG_FAIL_RATE", default=0.0)
# bench/counter_bench.py serves the floor view only when this is on (never in production).
BENCH_ENDPOINTS = env.bool("BENCH_ENDPOINTS", default=False)

# --- Error reports (Sentry): on when SENTRY_DSN is set -------------------------------------------

SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from jeonju_prepay.observability import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        release=env("SENTRY_RELEASE", default=None),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# --- Metrics (Prometheus) at METRICS_PATH: jeonju_prepay/metrics.py, operations/metrics.py --------

METRICS_PATH = "/metrics"
# Who may read it: a bearer token (at least 16 characters), or an address in these networks.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
# Each worker reads the cities' figures at most this often; scrapes in between get them cached.
METRICS_CACHE_SECONDS = env.int("METRICS_CACHE_SECONDS", default=10)

# --- Messages to citizens (messaging/, docs/messaging.md) -------------------------------------
# Providers: "sandbox" records what would be sent (the outbox page and the admin show it);
# email "django" sends with Django's mail (EMAIL_*); SMS and KakaoTalk "solapi" call SOLAPI.
MESSAGING_EMAIL_PROVIDER = env("MESSAGING_EMAIL_PROVIDER", default="sandbox")
MESSAGING_SMS_PROVIDER = env("MESSAGING_SMS_PROVIDER", default="sandbox")
# The sandbox outbox page at /messages/sandbox/: unset, it follows DEBUG (on under make run).
MESSAGING_SANDBOX_PAGE = env.bool("MESSAGING_SANDBOX_PAGE", default=None)
MESSAGING_MAX_ATTEMPTS = env.int("MESSAGING_MAX_ATTEMPTS", default=6)
MESSAGING_RETRY_BASE_SECONDS = env.int("MESSAGING_RETRY_BASE_SECONDS", default=30)
MESSAGING_RETRY_MAX_SECONDS = env.int("MESSAGING_RETRY_MAX_SECONDS", default=60 * 60)
MESSAGING_REMINDER_HOUR = 10  # 10:00 Asia/Seoul
SOLAPI_API_KEY = env("SOLAPI_API_KEY", default="")
SOLAPI_API_SECRET = env("SOLAPI_API_SECRET", default="")
SOLAPI_SENDER = env("SOLAPI_SENDER", default="")  # the registered sending number
SOLAPI_PF_ID = env("SOLAPI_PF_ID", default="")  # the city's KakaoTalk channel
SOLAPI_BASE_URL = env("SOLAPI_BASE_URL", default="https://api.solapi.com")
SOLAPI_TIMEOUT = env.float("SOLAPI_TIMEOUT", default=10.0)
