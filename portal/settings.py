"""Settings for the SoLR Contingency Service.

Everything that differs between a laptop demo and production comes from the environment
(DESIGN §5). Nothing secret lives in this file or in the repository. Every variable is read here with
``portal.conf.env`` (typed, checked: a bad value stops start-up with ImproperlyConfigured naming it) and is
listed, with its default, in the README's configuration table; the apps' own settings (SMKI_*, import and
demo sizes) are declared in ``pki/conf.py`` and ``contingency/conf.py``. Importing this module creates no
folder: ``portal.datadir.prepare()`` does that at start-up (``PortalConfig.ready``), with private modes.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from portal.conf import API_TOKEN_HOURS, LOCKOUT_FAILURES, LOCKOUT_MINUTES, env, not_empty, one_of, parse_path
from portal.secret_files import read_secret

BASE_DIR = Path(__file__).resolve().parent.parent

DATA_DIR = env("SOLR_DATA_DIR", BASE_DIR / "var", parse=parse_path)

SECRET_KEY = read_secret("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY_FILE", DATA_DIR / "secret_key")
DEBUG = env("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"], not_empty)
# The demo world (seed_demo: staff accounts whose passwords are in the source, an unencrypted demo signing key)
# exists only when asked for: scripts/run sets SOLR_DEMO=1; `manage.py serve`, gunicorn and workers without it
# never seed, and `check --deploy` refuses demo accounts in a database that is not a demo (portal/checks.py).
SOLR_DEMO = env("SOLR_DEMO", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served locally (no CDN) for /api/docs/
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "knox",
    "portal",
    "portal.accounts",
    "pki",
    "contingency",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session passed the second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "portal.audit.AuditActorMiddleware",
    # The one place the second factor is enforced: a person who needs it reaches nothing but enrolment and
    # the code step until verified (portal/accounts/middleware.py, docs/accounts.md).
    "portal.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.http_errors.MethodNotAllowedPageMiddleware",  # a 405 on a page shows the error layout, not a blank
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a sign-in refused for a locked username into the lockout page (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.navigation",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
# SQLite is shared by the web process and the Celery worker (DESIGN §5): WAL so readers never
# block the writer, a busy timeout, and IMMEDIATE transactions so two writers queue instead of
# failing with "database is locked" on lock upgrade.
SQLITE_PATH = DATA_DIR / "db.sqlite3"
_database_url = env("DATABASE_URL", f"sqlite:///{SQLITE_PATH}", not_empty)
try:
    # Kept connections: a new PostgreSQL connection per request cost more than the request's own queries
    # (docs/performance.md). Django closes a connection that failed, so a restarted database costs one error.
    DATABASES = {"default": dj_database_url.parse(
        _database_url, conn_max_age=env("SOLR_DB_CONN_MAX_AGE", 60, lambda s: None if s >= 0 else "must be >= 0"))}
except (ValueError, dj_database_url.UnknownSchemeError) as exc:
    raise ImproperlyConfigured(f"DATABASE_URL={_database_url!r} (environment): {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters sent apart from the statement (psycopg's server-side binding): psycopg then prepares a statement
    # run often, so PostgreSQL plans the front door's statements once per connection, and Python no longer quotes
    # every value into the SQL text; together about a quarter of the CPU of a DUIS request (docs/performance.md).
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests get a file database too, so that a real worker process can see what a test wrote.
    # One file per test run, so that parallel runs on one machine do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-db-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- sign-in: lockout, second factor, API tokens (issue 8; docs/accounts.md) ----------------------------------
# django-axes counts failed sign-ins per username only (not per address: one office behind a shared address
# must not lock out its colleagues). Its backend comes first so a locked username is refused before the
# password is even checked. portal.accounts.backends.LockoutBackend is axes's, see there for the one change.
AUTHENTICATION_BACKENDS = [
    "portal.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
SOLR_LOCKOUT_FAILURES = LOCKOUT_FAILURES.from_environment()
SOLR_LOCKOUT_MINUTES = LOCKOUT_MINUTES.from_environment()
AXES_FAILURE_LIMIT = SOLR_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = dt.timedelta(minutes=SOLR_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True  # a person who finally types the right password starts again from zero
# A try during a lockout does not extend it: the lockout lasts SOLR_LOCKOUT_MINUTES from the last counted failure.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLE_ADMIN = False  # the service desk unlocks on the `lockouts` page, which audits it
AXES_VERBOSE = False  # no banner on every process start (the console shows real events only)
# axes.W006 asks for ip_address among the lockout parameters. Issue 8 wants the opposite on purpose: per
# username only, so that an office behind one shared address is not locked out by one person's typos, and a
# locked username stays locked whatever address, user agent or cookie the next try comes with.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# django-otp: TOTP (RFC 6238) devices; the issuer names the service in the person's authenticator app.
OTP_TOTP_ISSUER = "SoLR Contingency Service"
# django-rest-knox: API tokens stored as a SHA-512 digest, shown once, expiring after SOLR_API_TOKEN_HOURS.
SOLR_API_TOKEN_HOURS = API_TOKEN_HOURS.from_environment()
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(hours=SOLR_API_TOKEN_HOURS),
    "AUTO_REFRESH": False,
    "USER_SERIALIZER": None,
}

# --- sessions and transport security -----------------------------------------------------------
# A sign-in lasts a working day at most, not Django's two weeks: these sessions nominate officers, order
# certificates and activate a contingency, so a forgotten browser must not keep that power for long.
SOLR_SESSION_HOURS = env("SOLR_SESSION_HOURS", 8, lambda h: None if 1 <= h <= 24 else "must be 1 to 24 hours")
SESSION_COOKIE_AGE = SOLR_SESSION_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# One switch for production behind HTTPS: HSTS, cookies sent over HTTPS only, and plain http redirected.
# Without it the service runs on plain http, for local use and the demo (docs/operations.md).
SOLR_HTTPS = env("SOLR_HTTPS", False)
if SOLR_HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # a local supervisor's or load balancer's probe over plain http
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# TLS ended at a reverse proxy: trust its X-Forwarded-Proto header to say the request came over https. Only
# when that proxy always sets (overwrites) the header, or a client could claim https on plain http.
if env("SOLR_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): every script, style, image and font from this site only, no inline
# script or style, no framing, forms post only here. Pages must not use inline <script>/<style> or style="".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # A person's browser session or their API token (knox: "Authorization: Token <token>"). The session class
    # comes first, as before tokens existed: a call without valid credentials stays 403 (not_authenticated, or
    # authentication_failed for a bad token), the status the rooms' API tests expect.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "knox.auth.TokenAuthentication",
    ],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.PagePagination",
    "EXCEPTION_HANDLER": "portal.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SoLR Contingency Service API",
    "DESCRIPTION": "The people's API of the SoLR Contingency Service (SEC modification MP134B): offices, "
                   "User IDs and their endpoint URLs, certificate orders, ADT files, SoLR events and meters. Errors "
                   "are JSON {code, detail, errors}.",
    "VERSION": "0.1.0",
    # The browsable page (/api/docs/) serves Swagger UI from drf-spectacular-sidecar's local copy: no CDN,
    # and the split view's script is a file of this site, so the Content-Security-Policy holds.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # /api/schema/ itself is not one of the API's operations.
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its documentation are for signed-in people (session or token), like the API itself.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Several apps have a field named "kind" with their own choices: name each enum after its choices.
    "ENUM_NAME_OVERRIDES": {"CertificateKindEnum": "pki.models.CertificateKind",
                            "OfficeKindEnum": "portal.choices.OfficeKind",
                            # Activations and ADT files each have a "state" with their own choices; the ADT
                            # files' keeps its published name.
                            "ActivationStateEnum": "contingency.models.events.ActivationState",
                            "StateEnum": "contingency.models.adt.AdtFileState"},
}
# Home page: an SRO's or ARO's certificates expiring within this many days are listed ("about to expire").
SOLR_HOME_EXPIRING_DAYS = env("SOLR_HOME_EXPIRING_DAYS", 60,
                              lambda d: None if 1 <= d <= 366 else "must be 1 to 366 days")

# --- Celery ---------------------------------------------------------------------------------
# Embedded default: kombu's filesystem transport, which needs no server (DESIGN §5). It works
# between processes of one host; production sets CELERY_BROKER_URL to Redis.
# "filesystem://localhost/" rather than "filesystem://": kombu warns on every connection without a host name.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://localhost/", not_empty)
CELERY_FILESYSTEM_DIR = DATA_DIR / "broker"  # its folders are made (mode 0700) by portal.datadir at start-up
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT = "portal.broker:Transport"  # atomic message files (see portal/broker.py)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "queue"),
        "processed_folder": str(CELERY_FILESYSTEM_DIR / "processed"),
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),  # broadcast (ping, inspect) tables
        "store_processed": False,
        "polling_interval": 0.1,
    }
elif CELERY_BROKER_URL.startswith("redis://"):
    # kombu's Redis transport, with an acknowledgement on a closed connection failing as a connection error rather
    # than stopping the worker (see portal/broker.py).
    CELERY_BROKER_TRANSPORT = "portal.broker:RedisTransport"
CELERY_RESULTS_DIR = DATA_DIR / "celery-results"  # made (mode 0700) at start-up when the default is used
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", f"file://{CELERY_RESULTS_DIR}", not_empty)
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Nothing is lost (DESIGN §6): a task is acknowledged only after it ran, and a worker that
# dies mid-task leaves it on the queue for another.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker outage (docs/delivery.md): a worker that loses the broker keeps trying to reach it for as long as the
# outage lasts. Celery's default gives up after 100 attempts (about 46 minutes at its 30 s cap between attempts) and
# the worker exits. Tasks running when the connection drops finish: their work is in the database, not the broker
# (Celery 6 is to cancel them by default, and a delivery cut off mid-send would be sent again, a replay to the meter).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env("CELERY_TASK_ALWAYS_EAGER", False)
# Periodic work; later issues add their entries here.
CELERY_BEAT_SCHEDULE = {
    "audit-seal": {"task": "portal.tasks.seal_audit_log", "schedule": 10.0},
    # Signs a new CRL only when the revocations in effect changed (e.g. a scheduled one fell due).
    "pki-refresh-crl": {"task": "pki.tasks.refresh_crl", "schedule": 60.0},
    # SoLR events (docs/events.md): a licence revocation's Party status and certificates follow it when due; live
    # activations past their instruction's window become expired (may_act answers "expired" even before).
    "solr-licence-revocations": {"task": "contingency.tasks.apply_licence_revocations", "schedule": 30.0},
    "solr-expire-activations": {"task": "contingency.tasks.expire_activations", "schedule": 30.0},
    # Queues every due pending push (alerts, Service Responses): retries, and pushes a lost message left behind.
    "contingency-sweep-pushes": {"task": "contingency.delivery.tasks.sweep_pushes", "schedule": 5.0},
    # Sends alerts kept unroutable once an instruction or SRP arrangement gives them a recipient.
    "contingency-reroute-alerts": {"task": "contingency.alerts.tasks.reroute_unroutable", "schedule": 60.0},
    # Future-dated payment-mode changes kept by the simulated meters, executed at their time (docs/device-gateway.md).
    "contingency-gateway-execute-due": {"task": "contingency.delivery.gateway.tasks.execute_due", "schedule": 5.0},
    # Accepted Service Requests whose delivery is stuck past SOLR_DELIVERY_STUCK_SECONDS (a dead worker, a lost
    # message) queued again; too old ones expired (docs/delivery.md).
    "contingency-sweep-requests": {"task": "contingency.delivery.tasks.sweep_requests", "schedule": 10.0},
}

# --- the product ----------------------------------------------------------------------------
SOLR_CONTINGENCY_ROLE_CODE = env("SOLR_CONTINGENCY_ROLE_CODE", "SC", not_empty)
# The DCC's own User ID (DUIS: the target of non-device requests, the originator of responses); checked as an
# EUI-64 at start-up (PortalConfig.ready).
DCC_USER_ID = env("SOLR_DCC_USER_ID", "90-B3-D5-1F-30-00-00-02", not_empty)
# Endpoint URLs of User IDs (where the DCC POSTs responses and alerts; portal/user_ids.py) are https only; 1 also
# allows http, for the demo and the tests, whose receivers listen on plain loopback ports (scripts/run sets it).
SOLR_ALLOW_INSECURE_ENDPOINTS = env("SOLR_ALLOW_INSECURE_ENDPOINTS", False)
# The audit chain's keyed anchor, outside the database (portal/audit.py, docs/audit.md); empty means
# DATA_DIR/audit_anchor.json.
SOLR_AUDIT_ANCHOR_FILE = env("SOLR_AUDIT_ANCHOR_FILE", "")
# SMKI_* and PKI_* settings: pki/conf.py (defaults, types, environment); contingency's: contingency/conf.py.

# --- logging --------------------------------------------------------------------------------
# The console of `scripts/run` shows one line per real event (issue 6): no traceback for a 4xx (the access
# log already has the line; django.request logs 5xx with their traceback), and the periodic tasks' chatter is
# quietened in the worker (portal/celery.py).
LOG_LEVEL = env("LOG_LEVEL", "INFO", one_of(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
                parse=lambda raw: raw.strip().upper())
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-axes narrates each failure in several INFO lines; its WARNINGs (a failure, a lockout) are the events.
        "axes": {"level": "WARNING"},
        "django.request": {"level": "DEBUG" if LOG_LEVEL == "DEBUG" else "ERROR"},
    },
}
