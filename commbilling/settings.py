"""CommBilling settings: one file, driven by environment variables.

Two profiles: ``development`` (the default: SQLite and an embedded Celery broker, so a
fresh clone runs with no server) and ``production`` (``COMMBILLING_PROFILE=production``:
secrets required, HTTPS-only cookies, HSTS). Every variable is listed in the README.
"""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


PROFILE = env_str("COMMBILLING_PROFILE", "development")
PRODUCTION = PROFILE == "production"
VAR_DIR = Path(env_str("COMMBILLING_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION:
    SECRET_KEY = os.environ["SECRET_KEY"]
else:
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
# Keys encrypting the secrets stored in the database (commbilling/secrets.py): Fernet keys,
# comma-separated, newest first; the development key is refused by `check --deploy`.
SECRETS_ENCRYPTION_KEYS = env_list(
    "SECRETS_ENCRYPTION_KEYS", "" if PRODUCTION else "ZGV2LW9ubHktY29tbWJpbGxpbmctc2VjcmV0cy1rZXk="
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "commbilling",  # first: its ready() sets the admin's decimal fields (commbilling/apps.py)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "anymail",
    "simple_history",
    "accounts",
    "activity",
    "invoices",
    "emails",
    "refunds",
    "payments",
    "support",
    "incidents",
    "dashboard",
    "batches",
    "einvoicing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "commbilling.middleware.RejectNullCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # Who made each change recorded by django-simple-history (the admin audit trail).
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "commbilling.urls"
WSGI_APPLICATION = "commbilling.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # |money |number |percent |local_date |local_datetime in every template.
            "builtins": ["commbilling.templatetags.formatting"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.role",
                "activity.context_processors.tracked_processes",
                "incidents.context_processors.alert_bar",
            ],
        },
    },
    {
        # E-mail subjects and text bodies are plain text: nothing in them is HTML-escaped
        # ("L'Atelier Dupont & Fils", not "L&#x27;Atelier Dupont &amp; Fils").
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "autoescape": False,
            "builtins": ["commbilling.templatetags.formatting"],
        },
    },
]

# Tables the application's database role may only read and insert into
# (manage.py grant_app_role; on PostgreSQL a trigger also refuses UPDATE and DELETE).
APPEND_ONLY_MODELS = ["activity.ActivityLog"]

# --- Database ---------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions serialise writers, which is what keeps the numbering
    # series gapless on SQLite where SELECT ... FOR UPDATE does not exist.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so that a Celery worker started by the tests shares it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Authentication -----------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_float("AXES_COOLOFF_HOURS", 0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates as 27/11/2026 20:16, thousands grouped by a narrow no-break space (commbilling/l10n.py).
FORMAT_MODULE_PATH = ["commbilling.locale_formats"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
WHITENOISE_USE_FINDERS = not PRODUCTION  # development serves static files straight from the apps
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request otherwise
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_ROOT = BASE_DIR / "static" / "root"  # /favicon.ico, which browsers ask for on every site
# Media is never served by URL: every download goes through a view that checks permissions.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/private-media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Security -----------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "frame-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"  # the PDF preview view opts in with @xframe_options_sameorigin
SESSION_COOKIE_HTTPONLY = True
# Sessions read from the cache, written through to the database: the alert bar's poll
# (every 5 s in every open tab) then answers from the cache alone, with no query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- E-mail ---------------------------------------------------------------------
# Platform default for outgoing mail; an organisation may set its own SMTP server in
# its company settings. In development a local sink started by `make run` listens on 1025.
# Django 6.1 mailers: "default" is the platform's server.
MAILERS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
        "OPTIONS": {
            "host": env_str("EMAIL_HOST", "localhost" if PRODUCTION else "127.0.0.1"),
            "port": env_int("EMAIL_PORT", 25 if PRODUCTION else 1025),
            "username": env_str("EMAIL_HOST_USER"),
            "password": env_str("EMAIL_HOST_PASSWORD"),
            "use_tls": env_bool("EMAIL_USE_TLS", False),
            "use_ssl": env_bool("EMAIL_USE_SSL", False),
            "timeout": env_int("EMAIL_TIMEOUT", 20),
        },
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CommBilling <no-reply@commbilling.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {"WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET")}

# --- Celery -----------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
# A web request that publishes a task gives up on the broker after PUBLISH seconds in all,
# kombu's retries included (commbilling.celery.publish): the record is already saved as
# queued, and the sweeper sends it once the broker is back. Each broker operation waits
# at most SOCKET (read/write) or CONNECT seconds, so that a retry fits in the budget.
_publish_timeout = env_float("CELERY_BROKER_PUBLISH_TIMEOUT", 3.0)
BROKER_TIMEOUTS = {
    "PUBLISH": _publish_timeout,
    "SOCKET": env_float("CELERY_BROKER_SOCKET_TIMEOUT", _publish_timeout / 2),
    "CONNECT": env_float("CELERY_BROKER_CONNECTION_TIMEOUT", _publish_timeout / 2),
}
if CELERY_BROKER_URL.startswith("filesystem"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        # kombu's default is ./control, i.e. the source tree of whoever starts a worker.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
    _broker_dir.mkdir(parents=True, exist_ok=True)
else:
    # Redis hands an unacknowledged message to another worker after this many seconds:
    # it must outlast the longest task time limit and the longest retry countdown, or a
    # slow task would run twice (tests/commbilling/test_celery_config.py checks it).
    # Socket timeouts: a Redis that accepts connections but does not answer (stopped,
    # overloaded, half-open connection) must not hang a web request that publishes.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 2 * 3600,
        "socket_connect_timeout": BROKER_TIMEOUTS["CONNECT"],
        "socket_timeout": BROKER_TIMEOUTS["SOCKET"],
    }
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "commbilling")
# Tasks that wait on a remote server (SMTP, payment provider, e-invoicing platform) go to
# "<CELERY_QUEUE>.io", consumed by workers of their own: rendering, which needs the CPU,
# never waits in line behind a slow mail server (commbilling.celery.queue_for).
CELERY_IO_TASKS = ["emails.*", "refunds.*", "einvoicing.*"]
# Celery's Django fixup closes the database connections before and after every task
# unless this is set; it then closes them only every this many tasks, and the worker
# keeps its connection like a web process does (CONN_MAX_AGE, a health check at the
# start of each task: commbilling/celery.py). A new PostgreSQL connection per task
# costs more than a small task.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# How long the worker waits after a pool process died before the task is declared lost
# (and, with reject_on_worker_lost, redelivered). The tests shorten it.
CELERY_WORKER_LOST_WAIT = env_float("CELERY_WORKER_LOST_WAIT", 10.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUTS["CONNECT"]
# One retry (on a new connection) when a publish fails, within BROKER_TIMEOUTS["PUBLISH"].
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "sweep-stuck-records": {"task": "activity.sweep_stuck_records", "schedule": 60.0},
    "compact-dashboard-counters": {"task": "dashboard.compact_counters", "schedule": 60.0},
    "resume-batches": {"task": "batches.resume", "schedule": 60.0},
    "reconcile-refunds": {"task": "refunds.reconcile_unknown_refunds", "schedule": 300.0},
    "check-einvoices": {"task": "einvoicing.check_einvoices", "schedule": 300.0},
    "queue-overdue-reminders": {
        "task": "emails.queue_overdue_reminders",
        "schedule": env_float("AUTOMATION_REMINDER_INTERVAL_SECONDS", 3600.0),
    },
}
# Payment reminders go out this many days after an unpaid invoice's due date (one per
# step and invoice; empty disables them).
AUTOMATION_REMINDER_DAYS = [int(d) for d in env_list("AUTOMATION_REMINDER_DAYS", "7,15,30")]

# --- Automation -----------------------------------------------------------------
AUTOMATION = {
    # Connectivity failures are retried this many times with exponential backoff.
    "MAX_ATTEMPTS": env_int("AUTOMATION_MAX_ATTEMPTS", 5),
    "BACKOFF_BASE_SECONDS": env_float("AUTOMATION_BACKOFF_BASE_SECONDS", 10.0),
    "BACKOFF_MAX_SECONDS": env_float("AUTOMATION_BACKOFF_MAX_SECONDS", 600.0),
    # A record queued or in progress for longer than this is handed to the worker again.
    "STUCK_AFTER_SECONDS": env_int("AUTOMATION_STUCK_AFTER_SECONDS", 360),
}

# Circuit breakers (incidents/circuits.py): how often the health probe looks at the
# services that stopped answering, and how long a task waits for one at most before the
# sweeper sends it again anyway.
CIRCUITS = {
    "PROBE_SECONDS": env_float("CIRCUIT_PROBE_SECONDS", 15.0),
    "MAX_WAIT_SECONDS": env_int("CIRCUIT_MAX_WAIT_SECONDS", 3600),
}
CELERY_BEAT_SCHEDULE["probe-circuits"] = {
    "task": "incidents.probe_circuits",
    "schedule": CIRCUITS["PROBE_SECONDS"],
}

# Workers and the scheduler stamp a heartbeat this often (0 disables it); one silent for
# STALE_SECONDS raises an incident (incidents/heartbeats.py).
HEARTBEATS = {
    "SECONDS": env_float("HEARTBEAT_SECONDS", 30.0),
    "STALE_SECONDS": env_float("HEARTBEAT_STALE_SECONDS", 120.0),
}
# Administrators get one e-mail when an incident opens (never one per failure).
INCIDENT_EMAILS = env_bool("INCIDENT_EMAILS", True)

# The per-organisation version of the alert bar lives in the cache: Redis when there is
# one (shared by web and workers), else files under var/ (shared by local processes).
CACHE_URL = env_str("CACHE_URL", CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "")
CACHES: dict[str, dict[str, Any]]
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "cb"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "cb"),
        }
    }

# Seconds the payment provider has to answer a refund call; past it the outcome is
# unknown and the refund is looked up at the provider before anything is sent again.
REFUNDS_PROVIDER_TIMEOUT_SECONDS = env_float("REFUNDS_PROVIDER_TIMEOUT_SECONDS", 30.0)
# E-invoicing: the approved platform's HTTP timeout, and how old a webhook may be.
EINVOICING_PLATFORM_TIMEOUT_SECONDS = env_float("EINVOICING_PLATFORM_TIMEOUT_SECONDS", 20.0)
EINVOICING_WEBHOOK_TOLERANCE_SECONDS = env_int("EINVOICING_WEBHOOK_TOLERANCE_SECONDS", 300)

# --- Logging --------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"weasyprint": {"level": "ERROR"}, "fontTools": {"level": "ERROR"}},
}

# --- Support ---------------------------------------------------------------------
# The business calendar on which ticket deadlines are counted (support/calendar.py):
# opening days (0 = Monday), local opening hours, time zone, and the public holidays of
# a country (and subdivision, e.g. "57" for Moselle) from the `holidays` package.
SUPPORT_CALENDAR = {
    "days": [int(d) for d in env_list("SUPPORT_DAYS", "0,1,2,3,4")],
    "open": env_str("SUPPORT_OPEN", "09:00"),
    "close": env_str("SUPPORT_CLOSE", "18:00"),
    "time_zone": env_str("SUPPORT_TIME_ZONE", "Europe/Paris"),
    "country": env_str("SUPPORT_HOLIDAY_COUNTRY", "FR") or None,
    "subdivision": env_str("SUPPORT_HOLIDAY_SUBDIVISION") or None,
}
# A ticket must be answered within this many hours of opening time.
SUPPORT_DEADLINE_HOURS = env_float("SUPPORT_DEADLINE_HOURS", 24.0)
# The queue flags tickets with less business time than this left as "at risk".
SUPPORT_AT_RISK_HOURS = env_float("SUPPORT_AT_RISK_HOURS", 4.0)
SUPPORT_ATTACHMENT_MAX_BYTES = env_int("SUPPORT_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)
# Public address of the site, for links in e-mails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
CELERY_BEAT_SCHEDULE["support-mark-breached-tickets"] = {
    "task": "support.mark_breached_tickets",
    "schedule": 60.0,
}
