"""Settings shared by every environment.

Every value comes from an environment variable (read with django-environ); the
module per environment only changes defaults and switches security on.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from backend.logs import configure_structlog, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default=None)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_structlog",
    "community",
    "ledger",
    "grants",
    "banking",
    "web",
    "django_htmx",
    "voting",
    "api",
    "backend",
]

MIDDLEWARE = [
    # First: every line logged while a request is handled, by any middleware or view, carries
    # its id, and every response (a redirect to HTTPS too) returns it in X-Request-ID.
    "backend.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's and Swagger UI's files from STATIC_ROOT (production has no other server).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A body larger than any upload is refused before anything reads it (413).
    "backend.middleware.RequestBodyLimit",
    # A page the database could not make (a restart, a failover) is a 503, not a 500.
    "backend.middleware.DatabaseUnavailablePage",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "web.middleware.PasswordChangeRequired",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"
ASGI_APPLICATION = "backend.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context_processors.roles",
            ],
        },
    },
]


def database_settings(variable: str) -> dict:
    """A database connection from a URL variable: SQLite file by default (the embedded
    demo), PostgreSQL when the variable is a postgres:// URL."""
    database = env.db(variable, default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of
        # failing with "database is locked" when a read lock is upgraded.
        database.setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    else:
        if env.bool("DATABASE_SERVER_SIDE_BINDING", default=True):
            # psycopg 3 sends parameters apart from the SQL and prepares statements it sees
            # repeatedly: the ledger's posting statement then skips parsing and planning.
            database.setdefault("OPTIONS", {})["server_side_binding"] = True
        # Seconds a connection is kept between requests (0: one per request). A kept
        # connection is checked before each request reuses it, so after PostgreSQL restarts
        # the next request reconnects instead of failing on the dead one.
        database["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
        database["CONN_HEALTH_CHECKS"] = True
    return database


# DATABASE_URL is the application's role: web, worker and beat connect as it, and it may not
# change or remove the books (backend/roles.py). DATABASE_OWNER_URL, given only where
# migrations run, is the role that owns the tables: this process then connects as the owner
# and, after migrating, grants DATABASE_URL's role what the application needs. Without it
# one role owns and uses the tables.
DATABASES = {"default": database_settings("DATABASE_URL")}
DATABASE_APP_ROLE = DATABASES["default"].get("USER", "")
if env("DATABASE_OWNER_URL", default=""):
    DATABASES["default"] = database_settings("DATABASE_OWNER_URL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "community.User"
# django-axes first: after repeated failures it refuses a username from one address before
# the password is even checked (backend/client.py says what the address is).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
# Username and address together: nobody can lock a resident out (say during a vote) from
# elsewhere, and one address cannot guess one password forever.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "backend.client.client_address"
AXES_USERNAME_CALLABLE = "backend.client.login_username"
AXES_LOCKOUT_CALLABLE = "backend.client.login_locked_out"
# Failed attempts are kept in the database (shared by every process, the SQLite demo
# included) until a success or the cool-off clears them; successful logins are not logged.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_DISABLE_ACCESS_LOG = True
AXES_SENSITIVE_PARAMETERS = ["password", "password1", "password2", "new_password1", "new_password2"]
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
# Uploaded receipts are private: kept outside the web root, served only through the API.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "private")

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="buurtfonds <noreply@buurtfonds.invalid>")

# The largest body any request may have (backend.middleware.RequestBodyLimit): the largest
# upload (a report with its receipts, 25 MB) and the multipart framing around it.
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=26 * 1024 * 1024)

# Keyed hashes of residence codes: the key lives outside the database, so a
# dump of the code table cannot be turned back into usable codes.
RESIDENCE_CODE_KEY = env("RESIDENCE_CODE_KEY", default=None)
RESIDENCE_CODE_VALID_DAYS = env.int("RESIDENCE_CODE_VALID_DAYS", default=90)
RESIDENCE_CODE_MAX_BATCH = 1000
# Seals every ballot's choice (AES-GCM, a key per application derived with HKDF) and keys the
# receipt hashes. It lives outside the database: a copy of the database without it does
# not tell how anyone voted; whoever holds both can link voters to choices.
BALLOT_KEY = env("BALLOT_KEY", default=None)

STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
STRIPE_PAYMENT_METHOD_TYPES = env.list("STRIPE_PAYMENT_METHOD_TYPES", default=["ideal", "card"])
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=1)
# A top-up is between these amounts (cents): 1 and 5,000 euros by default.
TOPUP_MIN_CENTS = env.int("TOPUP_MIN_CENTS", default=100)
TOPUP_MAX_CENTS = env.int("TOPUP_MAX_CENTS", default=500_000)

DEMO_PASSWORD = env("DEMO_PASSWORD", default=None)

# Test-only: where the fault tests arm and release pause points (backend/faults.py).
# Production settings ignore it.
FAULT_PAUSE_DIR = env("FAULT_PAUSE_DIR", default="")

# Who the books belong to, as printed in the XML Auditfile Financieel.
LEDGER_COMPANY_NAME = env("LEDGER_COMPANY_NAME", default="Stadscoöperatie Utrecht")
LEDGER_TAX_REGISTRATION = env("LEDGER_TAX_REGISTRATION", default="")

# Celery: without a broker, tasks run in-process (the embedded default).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# With the broker down a request that queues a task after its commit waits a moment, not
# long: one quick retry, then the error is logged and the task's sweep does the work.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A task taken by a worker that dies (kill -9, a lost machine) is unacknowledged: Redis hands
# it to another worker once this many seconds have passed since it was taken. It must exceed
# the longest task, or a task still running is handed out twice (every task is idempotent,
# but the work would be done twice). The fault tests (tests/faults) set it to seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # How often a worker looks for such tasks (seconds); with the default throttle of 10
    # a look every ten seconds scans once in ten.
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The guarantee that every vote window settles, whatever happened to its own task.
CELERY_BEAT_SCHEDULE = {
    "settle-due-vote-windows": {"task": "voting.tasks.sweep_due_windows", "schedule": 60.0},
    "purge-expired-tokens": {"task": "community.tasks.purge_expired_tokens", "schedule": 3600.0},
    # Top-ups left in created, refunds to make, retry or confirm.
    "sweep-topups": {"task": "grants.tasks.sweep_topups", "schedule": 300.0},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: every view names who may use it.
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.DenyAll"],
    "DEFAULT_RENDERER_CLASSES": [
        "api.renderers.SafeJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # Throttles key on the socket's address unless this many proxies in front are trusted
    # to set X-Forwarded-For (compose: 0; behind one TLS proxy: 1). A client-sent header
    # never decides whose budget a request spends.
    "NUM_PROXIES": env.int("TRUSTED_PROXIES", default=0),
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "auth": env("THROTTLE_AUTH_RATE", default="20/minute"),
        "verify": env("THROTTLE_VERIFY_RATE", default="10/minute"),
        # Card testing with stolen cards tries many small payments from one address.
        "topup": env("THROTTLE_TOPUP_RATE", default="10/hour"),
        # Replaying a large election takes seconds of CPU.
        "pabulib": env("THROTTLE_PABULIB_RATE", default="10/hour"),
    },
}

# API tokens (django-rest-knox): kept as SHA-512 digests, valid this many days, revoked by
# auth/logout/ (this one) and auth/logout-all/ (every token of the user).
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=30)),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_PREFIX": "bf_",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "buurtfonds API",
    "DESCRIPTION": "Neighbourhood funds, resident votes and open books for Utrecht's cooperatives.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The API speaks JSON (docs/api.md); the schema offers multipart only where a view takes
    # a file and says so. DRF still reads form posts (the browsable API), undocumented.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # Swagger UI's files are served by us, not fetched from a CDN.
    "ENUM_NAME_OVERRIDES": {
        "FundKindEnum": "grants.models.Fund.Kind",
        "CooperativeKindEnum": "community.models.Cooperative.Kind",
        "EntryKindEnum": "ledger.models.JournalEntry.Kind",
        "AccountTypeEnum": "ledger.models.Account.Type",
        "ApplicationStatusEnum": "grants.models.Application.Status",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# One JSON object per line on stdout, with the request's or the Celery task's id, secrets
# redacted (backend/logs.py; the format is in docs/operations.md).
LOGGING = logging_config(env("LOG_LEVEL", default="INFO"))
configure_structlog()
# django-structlog: the request id comes from backend.request_log, which keeps a sane
# X-Request-ID from the proxy and replaces anything else; the request's id and user travel
# with the Celery tasks it queues (the worker's lines carry them and the task's own id).
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = True
