"""Settings for mall, read from environment variables only (12-factor).

Local defaults are safe for a developer's machine; production differs only by the
environment (``DEBUG=0``, a real ``SECRET_KEY``, ``ALLOWED_HOSTS``, ...), and then
``manage.py check --deploy`` reports nothing.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from csp import constants as csp
from django.utils.translation import gettext_lazy as _

from mall.crypto_keys import derived_key as _derived_key

BASE_DIR = Path(__file__).resolve().parent.parent
RUN_DIR = BASE_DIR / ".run"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

# Personal data encrypted at rest (mall/crypto.py): Fernet keys, newest first, and the
# key of the lookup hash. Development derives both from the dev secret; production must
# set them (README, "Personal data": how to make a key and rotate it).
MALL_FIELD_KEYS = env.list(
    "MALL_FIELD_KEYS", default=[_derived_key(SECRET_KEY, "fields")] if DEBUG else []
)
MALL_FIELD_INDEX_KEY = env.str(
    "MALL_FIELD_INDEX_KEY", default=_derived_key(SECRET_KEY, "index") if DEBUG else ""
)
if not MALL_FIELD_KEYS or not MALL_FIELD_INDEX_KEY:
    raise environ.ImproperlyConfigured(
        "MALL_FIELD_KEYS and MALL_FIELD_INDEX_KEY must be set when DEBUG is off."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "mall.apps.MallAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django.contrib.postgres",
    "drf_spectacular_sidecar",
    "axes",
    "import_export",
    "django_ratelimit",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_prometheus",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "mall",
    "customers",
    "customers.support",
    "catalog",
    "orders",
    "marketing",
    "analytics",
    "ops",
]

MIDDLEWARE = [
    # django-prometheus: requests, latency and responses by view and status (/metrics).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "ops.middleware.RequestLogMiddleware",
    # Content-Security-Policy (with a nonce per response) and Permissions-Policy on every
    # answer, the outage page's too: they touch nothing but the response.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Outside everything that may touch the database: an outage anywhere below is a 503.
    "ops.middleware.ServiceUnavailableMiddleware",
    # Files written inside a transaction that rolled back are removed at the request's end.
    "mall.storage.RolledBackFilesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # account, order and staff pages never cached (ops/middleware.py).
    "ops.middleware.PrivatePagesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A shopper who just wrote reads the primary for a few seconds (mall.dbrouting).
    "mall.dbrouting.ReadYourWritesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Staff: the second factor (django-otp devices) before the admin and the ticket view, and
    # signed out after MALL_STAFF_IDLE_MINUTES without a request (ops/middleware.py).
    "ops.middleware.StaffSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The header's cart badge: a cookie refreshed by the requests that change the cart.
    "orders.middleware.CartCountMiddleware",
    # The audit trail's context: the person and URL behind every row change (pghistory)
    # and every mall.audit.record.
    "ops.middleware.HistoryContextMiddleware",
    "ops.middleware.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # The visit (visitor, session, campaign) behind the analytics events of a request.
    "analytics.middleware.VisitMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "mall.urls"
WSGI_APPLICATION = "mall.wsgi.application"
ASGI_APPLICATION = "mall.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data stores -------------------------------------------------------------------

DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/mall"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Streaming replicas for the storefront's reads (mall.dbrouting): replica1, replica2, ...
for _number, _url in enumerate(env.list("DATABASE_REPLICA_URLS", default=[]), start=1):
    DATABASES[f"replica{_number}"] = {
        **environ.Env.db_url_config(_url),
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        # Tests read the replica through the primary's connection unless a test points
        # the alias at a real standby (tests/mall/test_replicas.py).
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["mall.dbrouting.ReplicaRouter"]
# Seconds a shopper reads the primary (and skips the page cache) after changing
# something; longer than the replicas ever lag.
MALL_REPLICA_PIN_SECONDS = env.int("MALL_REPLICA_PIN_SECONDS", default=10)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "mall",
    },
    # Sessions live in Redis only (not cached_db): who a shopper is can be known without
    # PostgreSQL, so a flash sale's crowd is answered from Redis alone. Logout deletes the
    # session; a password change or a deactivated account fails the check of the user
    # row on the next request that loads it; Redis keeps sessions across a restart with
    # its append-only file, and a Redis that lost them signs everyone out (README,
    # "Sessions").
    "sessions": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "mall-session",
    },
}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_CACHE_ALIAS = "sessions"

# Anonymous storefront pages cached in Redis (mall.pagecache), invalidated by version keys
# bumped when what they show changes; the time only bounds the memory they take.
MALL_PAGE_CACHE = env.bool("MALL_PAGE_CACHE", default=True)
MALL_PAGE_CACHE_SECONDS = env.int("MALL_PAGE_CACHE_SECONDS", default=600)
# The reference data pages are built from (category tree, attribute schemas, search
# synonyms) kept in Redis under the same version keys (mall.pagecache.remembered), also
# for the pages the page cache cannot serve (signed-in shoppers, a cold page).
MALL_REFERENCE_CACHE = env.bool("MALL_REFERENCE_CACHE", default=True)

# Search (catalog.search): PostgreSQL full text, or OpenSearch/Elasticsearch with a Chinese
# analyzer at MALL_SEARCH_URL (README "Search").
MALL_SEARCH_BACKEND = env.str("MALL_SEARCH_BACKEND", default="postgres")
MALL_SEARCH_URL = env.str("MALL_SEARCH_URL", default="")
MALL_SEARCH_INDEX = env.str("MALL_SEARCH_INDEX", default="mall-goods")
MALL_SEARCH_ANALYZER = env.str("MALL_SEARCH_ANALYZER", default="ik")

# --- Accounts ------------------------------------------------------------------------

AUTH_USER_MODEL = "customers.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses logins for an identifier locked out after failures.
    "axes.backends.AxesStandaloneBackend",
    "customers.auth.PhoneOrEmailBackend",
]
LOGIN_URL = "customers:login"
LOGIN_REDIRECT_URL = "customers:account"
LOGOUT_REDIRECT_URL = "storefront:home"

# The audit trail (ops/models/audit.py): django-pghistory's triggers are installed by
# ``migrate`` itself, so that tracking the lower floors' tables adds no migration to
# their apps (and none to Django's own).
PGTRIGGER_MIGRATIONS = False
PGTRIGGER_INSTALL_ON_MIGRATE = True
PGHISTORY_APPEND_ONLY = True
PGHISTORY_ADMIN_CLASS = "ops.admin.RowHistoryAdmin"
# django-ratelimit names only django-redis as "supported"; Django's own Redis cache
# increments atomically too (INCR), which is all it needs.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

# Staff accounts (customers/services/two_factor.py, ops.middleware.StaffSessionMiddleware).
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="mall")
MALL_STAFF_IDLE_MINUTES = env.int("MALL_STAFF_IDLE_MINUTES", default=30)
MALL_REAUTH_MINUTES = env.int("MALL_REAUTH_MINUTES", default=5)
# A refund (or several at once) above this many yuan asks for the code again too.
MALL_REAUTH_REFUND_ABOVE = Decimal(env.str("MALL_REAUTH_REFUND_ABOVE", default="500.00"))

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failures for one account from
# one address, that pair is locked for AXES_COOLOFF_MINUTES. Identifiers are normalized
# first, so "+86 138..." and "138..." (or mixed-case emails) count as one account.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the login form field, not USERNAME_FIELD
AXES_USERNAME_CALLABLE = "customers.auth.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "customers.views.accounts.locked_out"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0)
# Beyond django-axes, counted per network address over all accounts (django-ratelimit,
# "N/s|m|h|d"): failed logins (password spraying), password-reset requests and
# registrations; and reset mails to one email address.
MALL_LOGIN_FAILURES_PER_ADDRESS = env.str("MALL_LOGIN_FAILURES_PER_ADDRESS", default="30/h")
MALL_PASSWORD_RESETS_PER_ADDRESS = env.str("MALL_PASSWORD_RESETS_PER_ADDRESS", default="10/h")
MALL_PASSWORD_RESETS_PER_EMAIL = env.str("MALL_PASSWORD_RESETS_PER_EMAIL", default="3/h")
MALL_REGISTRATIONS_PER_ADDRESS = env.str("MALL_REGISTRATIONS_PER_ADDRESS", default="10/h")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time ---------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "mall" / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Money -----------------------------------------------------------------------------

MALL_CURRENCY = env.str("MALL_CURRENCY", default="CNY")

# --- Static and media ----------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "mall" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    # The file system, minus what a failed write or a rolled-back transaction left.
    "default": {"BACKEND": "mall.storage.MediaStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Product photos on S3-compatible storage (S3, MinIO, OSS, COS) through django-storages when
# a bucket is named: web containers then share no disk. Private qualification scans stay
# private (no public ACL; served through the staff view).
MALL_S3_BUCKET = env.str("MALL_S3_BUCKET", default="")
if MALL_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MALL_S3_BUCKET,
            "endpoint_url": env.str("MALL_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("MALL_S3_REGION", default="") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# --- Email -----------------------------------------------------------------------------

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="mall <noreply@mall.example>")

# --- Security (strict unless DEBUG) -------------------------------------------------------

SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# django-csp: scripts only from the shop itself, inline ones only with the response's
# nonce (``<script nonce="{{ request.csp_nonce }}">``); inline styles are allowed (style
# attributes are no way to run code). Forms may post to the shop and to the payment
# providers' pages (MALL_CSP_FORM_ACTION, e.g. https://openapi.alipay.com).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF, "data:"],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "frame-ancestors": [csp.NONE],
        "form-action": [csp.SELF, *env.list("MALL_CSP_FORM_ACTION", default=[])],
    },
}
# django-permissions-policy: none of the browser's powerful features is used by any page.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "browsing-topics",
    )
}
# Behind a TLS-terminating proxy (docker-compose puts gunicorn behind one in production).
if env.bool("SECURE_PROXY_SSL_HEADER", default=not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz and /readyz are probed over plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- REST API ----------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON nested past the recursion limit is a 400, not a RecursionError (mall/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "mall.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "mall API",
    "DESCRIPTION": "The storefront's REST API.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI assets come from drf-spectacular-sidecar: served by the shop, no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every operation lists the 400/403/404 answers it can really give (mall/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "mall.schema.add_error_answers",
    ],
    # Several models have a "status"; each gets its own enum name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.Order.Status",
        "PaymentStatusEnum": "orders.models.Payment.Status",
        "RefundStatusEnum": "orders.models.Refund.Status",
    },
}

# --- Celery ------------------------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
# kombu's Redis transport with a fix for workers that stopped when Redis went away while
# they held delayed tasks (mall/broker.py).
CELERY_BROKER_TRANSPORT = "mall.broker:Transport"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How often the worker and beat each stamp their heartbeat (ops.heartbeat), and how old
# one may be before /readyz says that process is gone.
MALL_HEARTBEAT_INTERVAL = env.int("MALL_HEARTBEAT_INTERVAL", default=30)
MALL_HEARTBEAT_MAX_AGE = env.int("MALL_HEARTBEAT_MAX_AGE", default=120)
CELERY_BEAT_SCHEDULER = "ops.heartbeat:BeatScheduler"
CELERY_BEAT_SCHEDULE = {
    # Crontab times are in CELERY_TIMEZONE, the shop's TIME_ZONE (Asia/Shanghai).
    "catalog-qualification-expiry": {
        "task": "catalog.tasks.check_qualification_expiry",
        "schedule": crontab(hour=2, minute=30),
    },
    "catalog-monthly-spot-checks": {
        "task": "catalog.tasks.sample_monthly_spot_checks",
        "schedule": crontab(day_of_month=1, hour=3, minute=0),
    },
    "catalog-apply-scheduled-price-changes": {
        "task": "catalog.tasks.apply_scheduled_price_changes",
        "schedule": 60,
        "options": {"expires": 60},
    },
    # The words of the listed goods, for pinyin input, autosuggest and "did you mean".
    "catalog-rebuild-search-terms": {
        "task": "catalog.tasks.rebuild_search_terms",
        "schedule": crontab(minute=7),
        "options": {"expires": 3000},
    },
    "orders-cancel-unpaid": {
        "task": "orders.tasks.cancel_unpaid_orders",
        "schedule": 60,
        "options": {"expires": 60},
    },
    "catalog-release-expired-reservations": {
        "task": "catalog.tasks.release_expired_reservations",
        "schedule": 300,
        "options": {"expires": 300},
    },
    # Drift between stock rows, their ledger and their reservations, recorded for operators.
    "catalog-reconcile-stock": {
        "task": "catalog.tasks.reconcile_stock",
        "schedule": crontab(minute=15),
        "options": {"expires": 3600},
    },
}

# --- Analytics ---------------------------------------------------------------------------

# Events go to Redis from the pages and into PostgreSQL by the ingestion job.
MALL_ANALYTICS_COLLECT = env.bool("MALL_ANALYTICS_COLLECT", default=True)
MALL_ANALYTICS_REDIS_TIMEOUT = env.float("MALL_ANALYTICS_REDIS_TIMEOUT", default=0.2)
MALL_ANALYTICS_SESSION_MINUTES = env.int("MALL_ANALYTICS_SESSION_MINUTES", default=30)
# Campaigns: an order is credited to the last non-direct click within this many days.
MALL_CAMPAIGN_ATTRIBUTION_DAYS = env.int("MALL_CAMPAIGN_ATTRIBUTION_DAYS", default=7)
MALL_ANALYTICS_MAX_EVENTS_PER_MINUTE = env.int("MALL_ANALYTICS_MAX_EVENTS_PER_MINUTE", default=60)
MALL_ANALYTICS_EVENT_RETENTION_MONTHS = env.int("MALL_ANALYTICS_EVENT_RETENTION_MONTHS", default=13)
MALL_ANALYTICS_INGEST_SECONDS = env.int("MALL_ANALYTICS_INGEST_SECONDS", default=30)
CELERY_BEAT_SCHEDULE["analytics-ingest-events"] = {
    "task": "analytics.tasks.ingest_events",
    "schedule": MALL_ANALYTICS_INGEST_SECONDS,
    "options": {"expires": MALL_ANALYTICS_INGEST_SECONDS},
}
# Today's facts so far (and yesterday's again, for late events) every hour; the nightly
# checks against the orders, and old event partitions dropped once their facts exist.
CELERY_BEAT_SCHEDULE["analytics-build-daily-facts"] = {
    "task": "analytics.tasks.build_daily_facts",
    "schedule": crontab(minute=5),
    "options": {"expires": 3600},
}
CELERY_BEAT_SCHEDULE["analytics-check-data-quality"] = {
    "task": "analytics.tasks.check_data_quality",
    "schedule": crontab(hour=1, minute=30),
}
CELERY_BEAT_SCHEDULE["analytics-drop-expired-event-partitions"] = {
    "task": "analytics.tasks.drop_expired_event_partitions",
    "schedule": crontab(hour=4, minute=10),
}
# 买了又买: product pairs from the order lines of the last MALL_RECOMMENDATION_PAIR_DAYS
# days, nightly; a pair is kept when bought together in at least
# MALL_RECOMMENDATION_MIN_ORDERS orders and it passes the support (share of all orders),
# confidence (share of the product's orders) and lift thresholds. A slot shows up to
# MALL_RECOMMENDATION_SLOT_SIZE goods.
MALL_RECOMMENDATION_PAIR_DAYS = env.int("MALL_RECOMMENDATION_PAIR_DAYS", default=180)
MALL_RECOMMENDATION_MIN_ORDERS = env.int("MALL_RECOMMENDATION_MIN_ORDERS", default=2)
MALL_RECOMMENDATION_MIN_SUPPORT = env.float("MALL_RECOMMENDATION_MIN_SUPPORT", default=0.0)
MALL_RECOMMENDATION_MIN_CONFIDENCE = env.float("MALL_RECOMMENDATION_MIN_CONFIDENCE", default=0.05)
MALL_RECOMMENDATION_MIN_LIFT = env.float("MALL_RECOMMENDATION_MIN_LIFT", default=1.0)
MALL_RECOMMENDATION_SLOT_SIZE = env.int("MALL_RECOMMENDATION_SLOT_SIZE", default=6)
# 为你推荐 on the cart page falls back on the best sellers of the last this many days.
MALL_RECOMMENDATION_BESTSELLER_DAYS = env.int("MALL_RECOMMENDATION_BESTSELLER_DAYS", default=30)
CELERY_BEAT_SCHEDULE["analytics-build-product-pairs"] = {
    "task": "analytics.tasks.build_product_pairs",
    "schedule": crontab(hour=3, minute=20),
}
# RFM segments: shoppers scored on the orders of the last MALL_RFM_DAYS days, nightly; a
# shopper whose only order came in the last MALL_RFM_NEW_DAYS days is a new customer.
MALL_RFM_DAYS = env.int("MALL_RFM_DAYS", default=365)
MALL_RFM_NEW_DAYS = env.int("MALL_RFM_NEW_DAYS", default=30)
CELERY_BEAT_SCHEDULE["analytics-build-customer-scores"] = {
    "task": "analytics.tasks.build_customer_scores",
    "schedule": crontab(hour=3, minute=40),
}

# Report exports (CSV/XLSX) are written by a job and kept for MALL_EXPORT_HOURS for the
# one who asked; then the file is deleted (hourly).
MALL_EXPORT_HOURS = env.int("MALL_EXPORT_HOURS", default=24)
CELERY_BEAT_SCHEDULE["analytics-expire-report-exports"] = {
    "task": "analytics.tasks.expire_report_exports",
    "schedule": crontab(minute=25),
    "options": {"expires": 3600},
}

# The weekly (Mondays) and monthly (the 1st) reviews mailed to managers: KPIs of the last
# complete period against the one before, and the targets; once per period and manager.
CELERY_BEAT_SCHEDULE["analytics-weekly-review"] = {
    "task": "analytics.tasks.send_weekly_review",
    "schedule": crontab(day_of_week=1, hour=8, minute=0),
}
CELERY_BEAT_SCHEDULE["analytics-monthly-review"] = {
    "task": "analytics.tasks.send_monthly_review",
    "schedule": crontab(day_of_month=1, hour=8, minute=30),
}

# --- Logging (JSON lines, one event per line) -----------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Requests are logged once, with their timing, by ops.middleware.
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # axes announces its configuration at every start; failures still log as WARNING.
        "axes.apps": {"level": "WARNING"},
    },
}

MALL_NAME = _("mall")
# Where shoppers reach the shop, for links in emails (pages build their own links).
MALL_SITE_URL = env.str("MALL_SITE_URL", default="http://127.0.0.1:8000")

# --- Goods admission ---------------------------------------------------------------------

MALL_SUPPLIER_REREVIEW_MONTHS = env.int("MALL_SUPPLIER_REREVIEW_MONTHS", default=12)
MALL_DOCUMENT_EXPIRY_WARNING_DAYS = env.int("MALL_DOCUMENT_EXPIRY_WARNING_DAYS", default=30)
# Pricing: a change larger than this share of the current price needs a second operator;
# a "was" price may not exceed the lowest price of this many days before the reduction.
MALL_PRICE_APPROVAL_SHARE = env.str("MALL_PRICE_APPROVAL_SHARE", default="0.30")
MALL_REFERENCE_PRICE_DAYS = env.int("MALL_REFERENCE_PRICE_DAYS", default=7)
# Orders: unpaid orders are cancelled after this many minutes; shipping fee rules.
MALL_PAYMENT_TIMEOUT_MINUTES = env.int("MALL_PAYMENT_TIMEOUT_MINUTES", default=30)
MALL_SHIPPING_FEE = env.str("MALL_SHIPPING_FEE", default="10.00")
MALL_FREE_SHIPPING_OVER = env.str("MALL_FREE_SHIPPING_OVER", default="99.00")
MALL_EXPRESS_FEE = env.str("MALL_EXPRESS_FEE", default="20.00")
MALL_REMOTE_SURCHARGE = env.str("MALL_REMOTE_SURCHARGE", default="15.00")
MALL_REMOTE_PROVINCES = env.list(
    "MALL_REMOTE_PROVINCES", default=["新疆维吾尔自治区", "西藏自治区", "青海省"]
)
# Risk review: orders above these wait for an operator before fulfilment
# (orders.services.risk_review).
MALL_REVIEW_MAX_QUANTITY = env.int("MALL_REVIEW_MAX_QUANTITY", default=20)
MALL_REVIEW_FIRST_ORDER_TOTAL = env.str("MALL_REVIEW_FIRST_ORDER_TOTAL", default="5000.00")
MALL_REVIEW_TOTAL_FACTOR = env.str("MALL_REVIEW_TOTAL_FACTOR", default="5")
MALL_REVIEW_MIN_TOTAL = env.str("MALL_REVIEW_MIN_TOTAL", default="1000.00")
MALL_SPOT_CHECK_SHARE = env.float("MALL_SPOT_CHECK_SHARE", default=0.05)
MALL_SPOT_CHECK_STRIKE_LIMIT = env.int("MALL_SPOT_CHECK_STRIKE_LIMIT", default=3)
MALL_MAX_IMAGE_BYTES = env.int("MALL_MAX_IMAGE_BYTES", default=10 * 1024 * 1024)
MALL_MAX_DOCUMENT_BYTES = env.int("MALL_MAX_DOCUMENT_BYTES", default=10 * 1024 * 1024)
MALL_MAX_VIDEO_BYTES = env.int("MALL_MAX_VIDEO_BYTES", default=100 * 1024 * 1024)

# --- Inventory -----------------------------------------------------------------------------

# Replenishment suggests buying enough to cover this many days of sales beyond the
# reorder point (catalog.selectors.stock.replenishment_list).
MALL_REPLENISH_COVER_DAYS = env.int("MALL_REPLENISH_COVER_DAYS", default=14)

# --- Supply chain: purchasing, counting, dispatch, admission follow-ups -------------------------

# ABC classes by sales value over this many days; the A and B shares (cumulative % of the
# sales value); days between cycle counts per class (catalog.services.counting).
MALL_ABC_WINDOW_DAYS = env.int("MALL_ABC_WINDOW_DAYS", default=90)
MALL_ABC_SHARES = [int(share) for share in env.list("MALL_ABC_SHARES", default=["80", "95"])]
MALL_CYCLE_COUNT_DAYS = {
    cls: int(days)
    for cls, days in (
        entry.split("=")
        for entry in env.list("MALL_CYCLE_COUNT_DAYS", default=["A=30", "B=91", "C=365"])
    )
}
# Dispatch: the warehouse lead hears of a parcel this many hours before its ship-by time.
MALL_DISPATCH_ESCALATE_HOURS = env.int("MALL_DISPATCH_ESCALATE_HOURS", default=6)
# Admission follow-ups: newly listed goods are spot-checked within this many days;
# operators are reminded of a supplier re-review this many days before it is due, and the
# supplier is suspended this many days after it if nobody recorded it.
MALL_NEW_LISTING_CHECK_DAYS = env.int("MALL_NEW_LISTING_CHECK_DAYS", default=14)
MALL_REREVIEW_REMIND_DAYS = env.int("MALL_REREVIEW_REMIND_DAYS", default=14)
MALL_REREVIEW_GRACE_DAYS = env.int("MALL_REREVIEW_GRACE_DAYS", default=30)
# Product pictures smaller than this on their shorter side are refused.
MALL_MIN_PRODUCT_IMAGE_SIDE = env.int("MALL_MIN_PRODUCT_IMAGE_SIDE", default=600)
CELERY_BEAT_SCHEDULE["catalog-classify-abc"] = {
    "task": "catalog.tasks.classify_abc",
    "schedule": crontab(hour=1, minute=10),
    "options": {"expires": 3600},
}
CELERY_BEAT_SCHEDULE["catalog-schedule-cycle-counts"] = {
    "task": "catalog.tasks.schedule_cycle_counts",
    "schedule": crontab(hour=6, minute=0),
    "options": {"expires": 3600},
}
CELERY_BEAT_SCHEDULE["catalog-low-stock-alerts"] = {
    "task": "catalog.tasks.raise_low_stock_alerts",
    "schedule": 300,
    "options": {"expires": 300},
}
CELERY_BEAT_SCHEDULE["catalog-supplier-re-reviews"] = {
    "task": "catalog.tasks.follow_up_re_reviews",
    "schedule": crontab(hour=2, minute=45),
    "options": {"expires": 3600},
}
CELERY_BEAT_SCHEDULE["orders-dispatch-deadlines"] = {
    "task": "orders.tasks.escalate_dispatch_deadlines",
    "schedule": 600,
    "options": {"expires": 600},
}

# --- Payments ------------------------------------------------------------------------------

# Providers shoppers may pay with (orders.providers). The sandbox takes pretend money, so it
# is on by default only while DEBUG; turning it on with DEBUG off needs its own secret.
MALL_PAYMENT_PROVIDERS = env.list("MALL_PAYMENT_PROVIDERS", default=["sandbox"] if DEBUG else [])
_DEV_SANDBOX_SECRET = "dev-only-sandbox-pay-secret"  # noqa: S105
MALL_SANDBOX_PAY_SECRET = env.str(
    "MALL_SANDBOX_PAY_SECRET", default=_DEV_SANDBOX_SECRET if DEBUG else ""
)
if "sandbox" in MALL_PAYMENT_PROVIDERS and not MALL_SANDBOX_PAY_SECRET:
    raise environ.ImproperlyConfigured(
        "MALL_SANDBOX_PAY_SECRET must be set when DEBUG is off and the sandbox is enabled."
    )
# The sandbox delivers its notifications only to these hosts (the shop on this machine),
# retrying after each of these delays (seconds) until the shop answers "success".
MALL_SANDBOX_NOTIFY_HOSTS = env.list(
    "MALL_SANDBOX_NOTIFY_HOSTS", default=["127.0.0.1", "localhost", "::1"]
)
MALL_SANDBOX_NOTIFY_RETRY_DELAYS = [
    int(delay)
    for delay in env.list("MALL_SANDBOX_NOTIFY_RETRY_DELAYS", default=["15", "60", "300", "1800"])
]
MALL_SANDBOX_NOTIFY_TIMEOUT = env.int("MALL_SANDBOX_NOTIFY_TIMEOUT", default=10)
# The notification URL takes anonymous POSTs: a body above this many bytes is refused
# unread (413), and one address may post this often (django-ratelimit's "N/s|m|h|d").
MALL_PAYMENT_NOTIFY_MAX_BYTES = env.int("MALL_PAYMENT_NOTIFY_MAX_BYTES", default=16 * 1024)
MALL_PAYMENT_NOTIFY_RATE = env.str("MALL_PAYMENT_NOTIFY_RATE", default="120/m")
# Safety nets: payments still open this long are confirmed by asking the provider
# (a notification may be late or lost), refunds still pending are submitted again.
MALL_PAYMENT_CONFIRM_AFTER_SECONDS = env.int("MALL_PAYMENT_CONFIRM_AFTER_SECONDS", default=120)
MALL_REFUND_RESUBMIT_AFTER_SECONDS = env.int("MALL_REFUND_RESUBMIT_AFTER_SECONDS", default=300)
# Monitoring (ops/metrics.py, ops/prometheus/alerts.yml): who may scrape /metrics, and
# the Celery queues whose length is reported besides the default one.
MALL_METRICS_ALLOWED_NETWORKS = env.list(
    "MALL_METRICS_ALLOWED_NETWORKS",
    default=["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
)
MALL_CELERY_QUEUES = env.list("MALL_CELERY_QUEUES", default=["celery"])

# Backups (ops/backups.py): the database (pg_dump custom format) and the media files
# every night, copied to a second location when MALL_BACKUP_COPY_DIR is set, kept 7 daily,
# 4 weekly and 12 monthly; a restore drill proves the latest one loads.
MALL_BACKUP_DIR = env.str("MALL_BACKUP_DIR", default=str(BASE_DIR / ".run" / "backups"))
MALL_BACKUP_COPY_DIR = env.str("MALL_BACKUP_COPY_DIR", default="")
MALL_PG_BIN_DIR = env.str("MALL_PG_BIN_DIR", default="")
MALL_BACKUP_KEEP_DAILY = env.int("MALL_BACKUP_KEEP_DAILY", default=7)
MALL_BACKUP_KEEP_WEEKLY = env.int("MALL_BACKUP_KEEP_WEEKLY", default=4)
MALL_BACKUP_KEEP_MONTHLY = env.int("MALL_BACKUP_KEEP_MONTHLY", default=12)
CELERY_BEAT_SCHEDULE["ops-make-backup"] = {
    "task": "ops.tasks.make_backup",
    "schedule": crontab(hour=3, minute=0),
}
CELERY_BEAT_SCHEDULE["ops-restore-drill"] = {
    "task": "ops.tasks.restore_drill",
    "schedule": crontab(hour=4, minute=30),
}
CELERY_BEAT_SCHEDULE["orders-confirm-open-payments"] = {
    "task": "orders.tasks.confirm_open_payments",
    "schedule": 120,
    "options": {"expires": 120},
}
CELERY_BEAT_SCHEDULE["orders-resubmit-pending-refunds"] = {
    "task": "orders.tasks.resubmit_pending_refunds",
    "schedule": 300,
    "options": {"expires": 300},
}

# Real providers (orders/providers/adapters). Keys and certificates are read from the files
# these variables name, never from the repository; see the README's production section.
MALL_OUTBOUND_TIMEOUT = env.float("MALL_OUTBOUND_TIMEOUT", default=10)
MALL_ALIPAY_APP_ID = env.str("MALL_ALIPAY_APP_ID", default="")
MALL_ALIPAY_PRIVATE_KEY_FILE = env.str("MALL_ALIPAY_PRIVATE_KEY_FILE", default="")
MALL_ALIPAY_PUBLIC_KEY_FILE = env.str("MALL_ALIPAY_PUBLIC_KEY_FILE", default="")
MALL_ALIPAY_SELLER_ID = env.str("MALL_ALIPAY_SELLER_ID", default="")
MALL_ALIPAY_GATEWAY = env.str(
    "MALL_ALIPAY_GATEWAY", default="https://openapi.alipay.com/gateway.do"
)
# Alipay resends a notice for 25 hours; an older one is a replay.
MALL_ALIPAY_NOTICE_MAX_AGE = env.int("MALL_ALIPAY_NOTICE_MAX_AGE", default=26 * 3600)
MALL_WECHATPAY_MCHID = env.str("MALL_WECHATPAY_MCHID", default="")
MALL_WECHATPAY_APPID = env.str("MALL_WECHATPAY_APPID", default="")
MALL_WECHATPAY_CERT_SERIAL = env.str("MALL_WECHATPAY_CERT_SERIAL", default="")
MALL_WECHATPAY_PRIVATE_KEY_FILE = env.str("MALL_WECHATPAY_PRIVATE_KEY_FILE", default="")
MALL_WECHATPAY_PLATFORM_CERT_FILE = env.str("MALL_WECHATPAY_PLATFORM_CERT_FILE", default="")
MALL_WECHATPAY_APIV3_KEY = env.str("MALL_WECHATPAY_APIV3_KEY", default="")
MALL_WECHATPAY_APIV3_KEY_FILE = env.str("MALL_WECHATPAY_APIV3_KEY_FILE", default="")
MALL_WECHATPAY_API_BASE = env.str(
    "MALL_WECHATPAY_API_BASE", default="https://api.mch.weixin.qq.com"
)
# WeChat Pay asks merchants to refuse notices whose timestamp is more than 5 minutes off.
MALL_WECHATPAY_NOTICE_MAX_AGE = env.int("MALL_WECHATPAY_NOTICE_MAX_AGE", default=300)
# Each provider's bill of the day before is compared with the shop's books at 10:30
# (Alipay and WeChat Pay publish it in the morning).
CELERY_BEAT_SCHEDULE["orders-reconcile-payment-bills"] = {
    "task": "orders.tasks.reconcile_payment_bills",
    "schedule": crontab(hour=10, minute=30),
    "options": {"expires": 3600},
}

# --- Celery and Redis: redelivery ------------------------------------------------------------

# Redis keeps every message a worker took in an "unacked" set until the worker
# acknowledges it (tasks are acks_late: after they ran); one left there longer than the
# visibility timeout is given to a worker again. That is how the tasks of a killed worker,
# or those held when Redis restarted, come back, so the timeout is how late they can be.
# It must also exceed the longest countdown or eta a task is sent with, because a worker
# holds a delayed task unacknowledged until it runs, and a shorter timeout would run it a
# second time meanwhile: the longest are the sandbox notification's last retry delay
# (1800 s) and the retry backoff's cap (600 s, mall/celery.py). So: the longest countdown
# plus five minutes (2100 s by default) instead of kombu's hour. A worker looks for such
# messages every MALL_BROKER_RESTORE_INTERVAL seconds.
MALL_LONGEST_COUNTDOWN = max([*MALL_SANDBOX_NOTIFY_RETRY_DELAYS, 600])
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int(
        "MALL_BROKER_VISIBILITY_TIMEOUT", default=MALL_LONGEST_COUNTDOWN + 300
    ),
    "unacked_restore_interval": env.int("MALL_BROKER_RESTORE_INTERVAL", default=30),
    "unacked_restore_throttle": 1,
}

# --- Flash sales ---------------------------------------------------------------------------

# Buy attempts pass an atomic gate in Redis before PostgreSQL ("redis"), or go straight to
# PostgreSQL ("off", for comparison: the database alone still never oversells).
MALL_FLASH_SALE_GATE = env.str("MALL_FLASH_SALE_GATE", default="redis")
if MALL_FLASH_SALE_GATE not in ("redis", "off"):
    raise environ.ImproperlyConfigured("MALL_FLASH_SALE_GATE must be 'redis' or 'off'.")
# Seconds the gate waits for Redis before answering from the database instead.
MALL_FLASH_SALE_REDIS_TIMEOUT = env.float("MALL_FLASH_SALE_REDIS_TIMEOUT", default=2.0)
# Seconds a web process keeps a sale's row for buy attempts (the database step checks the
# times and units again), so that a crowd's refusals never reach PostgreSQL.
MALL_FLASH_SALE_CACHE_SECONDS = env.float("MALL_FLASH_SALE_CACHE_SECONDS", default=1.0)
# How often the gate counters are recomputed from the database (a crash between the gate
# and the database, a Redis that lost its data).
MALL_FLASH_SALE_RECONCILE_SECONDS = env.int("MALL_FLASH_SALE_RECONCILE_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["marketing-reconcile-flash-sales"] = {
    "task": "marketing.tasks.reconcile_flash_sales",
    "schedule": MALL_FLASH_SALE_RECONCILE_SECONDS,
    "options": {"expires": MALL_FLASH_SALE_RECONCILE_SECONDS},
}

# --- Promotions, coupons and gift cards ------------------------------------------------------

# A promotion that can take more than this share of a price (0.50: over half off) waits
# for a second operator's approval before it is scheduled.
MALL_PROMOTION_APPROVAL_DEPTH = env.str("MALL_PROMOTION_APPROVAL_DEPTH", default="0.50")
# Seconds a web process keeps the rules it built before building them again even when no
# promotion or coupon template changed (a new subcategory, a gift's new price).
MALL_PRICING_RULES_TTL = env.int("MALL_PRICING_RULES_TTL", default=60)
# Shoppers hear this many days before a coupon in their wallet expires.
MALL_COUPON_REMIND_DAYS = env.int("MALL_COUPON_REMIND_DAYS", default=3)
# Compensation coupons one support agent may grant per day (supervisors: no limit).
MALL_COMPENSATION_COUPONS_PER_AGENT_DAY = env.int(
    "MALL_COMPENSATION_COUPONS_PER_AGENT_DAY", default=10
)
CELERY_BEAT_SCHEDULE["marketing-advance-promotions"] = {
    "task": "marketing.tasks.advance_promotions",
    "schedule": 60,
    "options": {"expires": 60},
}
CELERY_BEAT_SCHEDULE["marketing-advance-campaigns"] = {
    "task": "marketing.tasks.advance_campaigns",
    "schedule": 60,
    "options": {"expires": 60},
}
CELERY_BEAT_SCHEDULE["marketing-expire-coupons"] = {
    "task": "marketing.tasks.expire_coupons",
    "schedule": crontab(minute=5),
    "options": {"expires": 3600},
}
CELERY_BEAT_SCHEDULE["marketing-remind-expiring-coupons"] = {
    "task": "marketing.tasks.remind_expiring_coupons",
    "schedule": crontab(hour=10, minute=0),
    "options": {"expires": 3600},
}

# --- Membership and points (marketing/services/loyalty) -----------------------------------

# Points earned per yuan of goods paid (net of refunds), before the tier's multiplier;
# earned once the order can no longer be returned.
MALL_POINTS_PER_YUAN = env.int("MALL_POINTS_PER_YUAN", default=1)
# Points worth one yuan at checkout (100: 100 points = ¥1), and the largest share of the
# goods (after promotions) points may pay.
MALL_POINTS_REDEEM_RATE = env.int("MALL_POINTS_REDEEM_RATE", default=100)
MALL_POINTS_MAX_SHARE = env.str("MALL_POINTS_MAX_SHARE", default="0.50")
# Shoppers hear this many days before points expire (lots expire at the end of the year
# after the one they were earned in).
MALL_POINTS_REMIND_DAYS = env.int("MALL_POINTS_REMIND_DAYS", default=30)
# A member whose figures fall below the tier held keeps it this many days (told at once).
MALL_TIER_GRACE_DAYS = env.int("MALL_TIER_GRACE_DAYS", default=30)
# Birthday gift in points, once a year, to shoppers who agreed to marketing messages;
# "day" on the birthday itself, "month" on the first day of its month.
MALL_BIRTHDAY_GIFT_POINTS = env.int("MALL_BIRTHDAY_GIFT_POINTS", default=200)
MALL_BIRTHDAY_GIFT_ON = env.str("MALL_BIRTHDAY_GIFT_ON", default="day")
CELERY_BEAT_SCHEDULE["marketing-recompute-tiers"] = {
    "task": "marketing.tasks.recompute_tiers",
    "schedule": crontab(hour=1, minute=20),
    "options": {"expires": 6 * 3600},
}
CELERY_BEAT_SCHEDULE["marketing-award-points"] = {
    "task": "marketing.tasks.award_points",
    "schedule": crontab(minute=25),
    "options": {"expires": 3600},
}
CELERY_BEAT_SCHEDULE["marketing-expire-points"] = {
    "task": "marketing.tasks.expire_points",
    "schedule": crontab(hour=0, minute=30),
    "options": {"expires": 6 * 3600},
}
CELERY_BEAT_SCHEDULE["marketing-remind-expiring-points"] = {
    "task": "marketing.tasks.remind_expiring_points",
    "schedule": crontab(hour=10, minute=10),
    "options": {"expires": 3600},
}
CELERY_BEAT_SCHEDULE["marketing-birthday-gifts"] = {
    "task": "marketing.tasks.birthday_gifts",
    "schedule": crontab(hour=9, minute=0),
    "options": {"expires": 6 * 3600},
}
CELERY_BEAT_SCHEDULE["marketing-reconcile-points"] = {
    "task": "marketing.tasks.reconcile_points",
    "schedule": crontab(hour=2, minute=50),
    "options": {"expires": 6 * 3600},
}

# --- After-sales ---------------------------------------------------------------------------

# Days after delivery (counted by calendar date from the day after it, as the consumer law
# counts) within which a shopper may ask: to return goods without a reason (7, the law's
# minimum for online purchases); to return, exchange or be refunded for faulty goods (15,
# as the 三包 rules give for exchanges); to have goods repaired (the warranty).
MALL_NO_REASON_RETURN_DAYS = env.int("MALL_NO_REASON_RETURN_DAYS", default=7)
MALL_QUALITY_CLAIM_DAYS = env.int("MALL_QUALITY_CLAIM_DAYS", default=15)
MALL_WARRANTY_DAYS = env.int("MALL_WARRANTY_DAYS", default=365)
# Where shoppers send goods back, shown on an approved case.
MALL_RETURN_ADDRESS = env.str(
    "MALL_RETURN_ADDRESS", default="浙江省杭州市余杭区仓前街道 mall 退货中心 售后组 400-000-0000"
)

# --- Fulfilment and logistics --------------------------------------------------------------

# Carriers parcels may be handed to (orders.carriers). The sandbox's parcels "arrive" by
# themselves, so it is on by default only while DEBUG.
MALL_CARRIERS = env.list("MALL_CARRIERS", default=["sandbox"] if DEBUG else [])
# 快递100 (subscribe and push, with a real-time query as the fallback) and SF Express's
# open API (丰桥); see the README's production section.
MALL_KUAIDI100_CUSTOMER = env.str("MALL_KUAIDI100_CUSTOMER", default="")
MALL_KUAIDI100_KEY = env.str("MALL_KUAIDI100_KEY", default="")
MALL_KUAIDI100_SALT = env.str("MALL_KUAIDI100_SALT", default="")
MALL_KUAIDI100_COMPANY = env.str("MALL_KUAIDI100_COMPANY", default="")
MALL_KUAIDI100_API_BASE = env.str("MALL_KUAIDI100_API_BASE", default="https://poll.kuaidi100.com")
MALL_SFEXPRESS_PARTNER_ID = env.str("MALL_SFEXPRESS_PARTNER_ID", default="")
MALL_SFEXPRESS_CHECKWORD = env.str("MALL_SFEXPRESS_CHECKWORD", default="")
MALL_SFEXPRESS_MONTHLY_CARD = env.str("MALL_SFEXPRESS_MONTHLY_CARD", default="")
MALL_SFEXPRESS_API_URL = env.str(
    "MALL_SFEXPRESS_API_URL", default="https://sfapi.sf-express.com/std/service"
)
MALL_SFEXPRESS_SENDER = env.str("MALL_SFEXPRESS_SENDER", default="")
MALL_SFEXPRESS_SENDER_MOBILE = env.str("MALL_SFEXPRESS_SENDER_MOBILE", default="")
MALL_SFEXPRESS_PUSH_MAX_AGE = env.int("MALL_SFEXPRESS_PUSH_MAX_AGE", default=3600)
# The sandbox carrier's parcels: shares delayed (a silence of DELAY_HOURS on the way),
# lost and damaged.
MALL_SANDBOX_CARRIER_DELAY_RATE = env.float("MALL_SANDBOX_CARRIER_DELAY_RATE", default=0.05)
MALL_SANDBOX_CARRIER_LOSS_RATE = env.float("MALL_SANDBOX_CARRIER_LOSS_RATE", default=0.01)
MALL_SANDBOX_CARRIER_DAMAGE_RATE = env.float("MALL_SANDBOX_CARRIER_DAMAGE_RATE", default=0.02)
MALL_SANDBOX_CARRIER_DELAY_HOURS = env.float("MALL_SANDBOX_CARRIER_DELAY_HOURS", default=60)
# A parcel with no tracking event for this long is delayed: a logistics exception case.
MALL_LOGISTICS_DELAY_HOURS = env.int("MALL_LOGISTICS_DELAY_HOURS", default=48)
# Polling: parcels per carrier query, queries per run, and the wait before the next poll
# of a parcel (doubling with each poll that brings nothing new, up to the maximum).
MALL_LOGISTICS_POLL_BATCH = env.int("MALL_LOGISTICS_POLL_BATCH", default=100)
MALL_LOGISTICS_POLL_MAX_BATCHES = env.int("MALL_LOGISTICS_POLL_MAX_BATCHES", default=50)
MALL_LOGISTICS_POLL_MINUTES = env.int("MALL_LOGISTICS_POLL_MINUTES", default=30)
MALL_LOGISTICS_POLL_MAX_MINUTES = env.int("MALL_LOGISTICS_POLL_MAX_MINUTES", default=720)
# A parcel just handed over is polled first after this many minutes (its collection scan
# comes soon, and the shopper is waiting for the first line), then on the backoff above.
MALL_LOGISTICS_FIRST_POLL_MINUTES = env.int("MALL_LOGISTICS_FIRST_POLL_MINUTES", default=5)
# What a reshipment's postage costs the shop (counted in the exception case's cost).
MALL_RESHIP_POSTAGE = env.str("MALL_RESHIP_POSTAGE", default="10.00")
# Delivered orders complete after this many days unless an after-sales or logistics case
# of theirs is open.
MALL_AUTO_COMPLETE_DAYS = env.int("MALL_AUTO_COMPLETE_DAYS", default=7)
CELERY_BEAT_SCHEDULE["orders-allocate-paid-orders"] = {
    "task": "orders.tasks.allocate_paid_orders",
    "schedule": 60,
    "options": {"expires": 60},
}
CELERY_BEAT_SCHEDULE["orders-poll-shipments"] = {
    "task": "orders.tasks.poll_shipments",
    "schedule": 300,
    "options": {"expires": 300},
}
CELERY_BEAT_SCHEDULE["orders-complete-delivered-orders"] = {
    "task": "orders.tasks.complete_delivered_orders",
    "schedule": crontab(minute=40),
    "options": {"expires": 3600},
}

# --- Customer service ----------------------------------------------------------------------

# The support team's working time, in which ticket deadlines are counted: "09:00-18:00"
# (empty: the whole day) on ISO weekdays "1,2,3,4,5" (empty: every day). By default the
# clock runs round the clock.
MALL_SUPPORT_BUSINESS_HOURS = env.str("MALL_SUPPORT_BUSINESS_HOURS", default="")
MALL_SUPPORT_WORKDAYS = env.str("MALL_SUPPORT_WORKDAYS", default="1,2,3,4,5,6,7")
# Tickets this close to a deadline (or past it) are escalated to the supervisors, once
# per deadline; they are the queue's "about to breach".
MALL_SUPPORT_ESCALATE_BEFORE_MINUTES = env.int("MALL_SUPPORT_ESCALATE_BEFORE_MINUTES", default=30)
# A resolved complaint gets a follow-up call (回访) this many days later.
MALL_SUPPORT_FOLLOW_UP_DAYS = env.int("MALL_SUPPORT_FOLLOW_UP_DAYS", default=3)
# Resolved tickets close by themselves after this many days.
MALL_SUPPORT_AUTO_CLOSE_DAYS = env.int("MALL_SUPPORT_AUTO_CLOSE_DAYS", default=7)
# An agent counts as having a ticket open this long after their page's last ping (every
# 30 s): two agents on one ticket are warned.
MALL_SUPPORT_PRESENCE_SECONDS = env.int("MALL_SUPPORT_PRESENCE_SECONDS", default=90)
CELERY_BEAT_SCHEDULE["support-escalate-tickets"] = {
    "task": "customers.support.tasks.escalate_tickets",
    "schedule": 300,
    "options": {"expires": 300},
}
CELERY_BEAT_SCHEDULE["support-close-resolved-tickets"] = {
    "task": "customers.support.tasks.close_resolved_tickets",
    "schedule": crontab(minute=50),
    "options": {"expires": 3600},
}
