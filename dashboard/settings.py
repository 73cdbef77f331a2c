"""Settings for Segment Desk, read from environment variables.

Every variable is listed with its default in README.md. The defaults suit a
developer machine with the sandbox on 127.0.0.1:8001; production overrides live
in ``dashboard.settings_production``.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from dashboard.email_url import mailer_from_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def cache_from_url(url: str) -> dict:
    """``locmem://``, ``redis://host:port/db`` (or ``rediss://``), ``db://table``
    or ``dummy://`` as one entry of Django's ``CACHES``."""
    scheme, _, rest = url.partition("://")
    if scheme in ("redis", "rediss"):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if scheme == "db":
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": rest or "dashboard_cache",
        }
    if scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": rest}
    raise ValueError(f"CACHE_URL: unknown scheme {scheme!r} (locmem, redis, rediss, db, dummy)")


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = [
    h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tables2",
    "django_tasks_db",
    "crontask",
    "axes",
    "segments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Pages and HTMX partials compressed (static files come precompressed from
    # WhiteNoise). Django's gzip adds random filler against BREACH, and CSRF tokens
    # are masked per response.
    "django.middleware.gzip.GZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's LoginRequiredMiddleware, sending an HTMX request to the login whole.
    "segments.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "segments.middleware.OperatorTimeZoneMiddleware",
    "segments.middleware.NoStoreMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords in a
# row for one user name, or from one address, logging in is refused for
# LOGIN_COOLOFF_MINUTES. An admin lifts a lockout early under "Axes" in the
# admin (delete the access attempts) or with ``manage.py axes_reset``.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=env_float("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_SENSITIVE_PARAMETERS = ["password"]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

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
                "django.template.context_processors.csp",
                "segments.context_processors.sync_banner",
                "segments.context_processors.assigned_to_me",
                "segments.alerts.context_processors.alerts",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets pages read while a sync or bulk run writes; IMMEDIATE avoids
    # lock upgrades failing between the web threads and a background job. A
    # 64 MB page cache (SQLite's default is 2 MB; it grows only as pages are
    # read) keeps a big mirror's index pages at hand: a fifth off a sync's
    # writes at 100,000 segments (docs/performance.md).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # Tests use a file too (not shared-cache memory, whose table locks fail at
    # once): concurrent writers in threads and processes then behave as in use.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DASHBOARD_TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served by WhiteNoise from the finders here; production collects into STATIC_ROOT.
WHITENOISE_USE_FINDERS = True

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# The latest new end date the forms accept, in years from now.
MAX_END_DATE_YEARS = int(os.environ.get("MAX_END_DATE_YEARS", "5"))

# One write to a platform segment at a time (segments/services/write_lock.py):
# how long a second writer waits for the first before it is told to try again.
SEGMENT_WRITE_LOCK_WAIT = env_float("SEGMENT_WRITE_LOCK_WAIT", 30)
# Seconds after which a lock left by a crashed process expires (0: from the timeouts).
SEGMENT_WRITE_LOCK_LEASE = env_float("SEGMENT_WRITE_LOCK_LEASE", 0)

# Tables count matching rows exactly up to this many; above it PostgreSQL shows
# its planner's estimate as "about N" (segments/pagination.py). SQLite is exact.
EXACT_COUNT_LIMIT = int(os.environ.get("EXACT_COUNT_LIMIT") or 10_000)

# Shared by every process in production (Redis); one process's memory for make run.
CACHES = {"default": cache_from_url(os.environ.get("CACHE_URL", "locmem://"))}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Long work (syncs, bulk runs, housekeeping) goes through django.tasks into the
# database; ``manage.py worker`` processes run it (README: "Production").
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The scheduler (``manage.py crontask``): an incremental sync every N minutes
# (0: none), a full one daily at HH:MM in TIME_ZONE ("" : none).
SYNC_INTERVAL_MINUTES = env_int("SYNC_INTERVAL_MINUTES", 10)
SYNC_FULL_AT = os.environ.get("SYNC_FULL_AT", "03:00")
# Test only: the incremental interval in seconds, overriding the minutes.
SYNC_INTERVAL_TEST_SECONDS = env_int("SYNC_INTERVAL_TEST_SECONDS", 0)
# A sync whose heartbeat is older than this is taken as dead and its lock taken over.
SYNC_LOCK_TIMEOUT = env_float("SYNC_LOCK_TIMEOUT", 90.0)
# A bulk run whose worker's heartbeat is older than this is resumed by another
# worker (the scheduler checks every half of it). Longer than one write's call
# (connect and read timeouts; a write is never retried): the worker renews the
# heartbeat just before each write it sends, so none is taken over mid-send.
BULK_RUN_LOCK_TIMEOUT = env_float("BULK_RUN_LOCK_TIMEOUT", 60.0)
# Test only: check for stalled bulk runs this often, in seconds.
BULK_RESUME_TEST_SECONDS = env_float("BULK_RESUME_TEST_SECONDS", 0)
# Finished task records, used form tokens and count snapshots are kept this long.
RETENTION_DAYS = env_int("RETENTION_DAYS", 180)
# A confirmed delete waits this long, undoable, before a worker sends it (0: at once).
DELETE_UNDO_SECONDS = env_int("DELETE_UNDO_SECONDS", 300)

DJANGO_TABLES2_TEMPLATE = "segments/htmx_table.html"

# The remote audience platform. See README.md for the meaning of each value.
REMOTE = {
    "SEGMENT_API_URL": os.environ.get("SEGMENT_API_URL", "http://127.0.0.1:8001/api"),
    "SEGMENT_API_USERNAME": os.environ.get("SEGMENT_API_USERNAME", "sandbox"),
    "SEGMENT_API_PASSWORD": os.environ.get("SEGMENT_API_PASSWORD", "sandbox-password"),
    "SEGMENT_API_COOKIE": os.environ.get("SEGMENT_API_COOKIE", ""),
    "LIST_API_URL": os.environ.get("LIST_API_URL", "http://127.0.0.1:8001/v4/audience/list"),
    "LIST_API_KEY": os.environ.get("LIST_API_KEY", "sandbox-api-key"),
    "CONNECT_TIMEOUT": env_float("REMOTE_CONNECT_TIMEOUT", 3.0),
    "READ_TIMEOUT": env_float("REMOTE_READ_TIMEOUT", 10.0),
    "MAX_ATTEMPTS": int(os.environ.get("REMOTE_MAX_ATTEMPTS", "3")),
    "RETRY_AFTER_MAX": env_float("REMOTE_RETRY_AFTER_MAX", 30.0),
    "BACKOFF_FACTOR": env_float("REMOTE_BACKOFF_FACTOR", 0.3),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"refusals_in_one_line": {"()": "dashboard.log_filters.RefusalsInOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "urllib3": {"level": "WARNING"},
        "sandbox": {"level": "WARNING"},
        "apscheduler": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "django.request": {"filters": ["refusals_in_one_line"]},
    },
}

# Alerts: count anomalies (segments/alerts/anomalies.py), email and webhooks.
ANOMALY_DROP_RATIO = env_float("ANOMALY_DROP_RATIO", 0.5)
ANOMALY_HISTORY = int(os.environ.get("ANOMALY_HISTORY", "5"))
ANOMALY_FAILED_JUMP_RATIO = env_float("ANOMALY_FAILED_JUMP_RATIO", 0.05)
ANOMALY_FAILED_JUMP_MIN = int(os.environ.get("ANOMALY_FAILED_JUMP_MIN", "100"))
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
ALERT_DIGEST_AT = os.environ.get("ALERT_DIGEST_AT", "08:00")
# EMAIL_URL sets the email backend (dashboard/email_url.py); without it mails
# are written to files in .run/mail/.
MAILERS = {
    "default": mailer_from_url(
        os.environ.get("EMAIL_URL") or f"file://{BASE_DIR / '.run' / 'mail'}"
    )
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Segment Desk <desk@localhost>")
WEBHOOK_CONNECT_TIMEOUT = env_float("WEBHOOK_CONNECT_TIMEOUT", 3.0)
WEBHOOK_READ_TIMEOUT = env_float("WEBHOOK_READ_TIMEOUT", 5.0)
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "5"))
WEBHOOK_BACKOFF_SECONDS = env_float("WEBHOOK_BACKOFF_SECONDS", 30.0)
ALERT_SYNC_FAILING_MINUTES = int(os.environ.get("ALERT_SYNC_FAILING_MINUTES", "30"))
