"""Settings for the SoLR Contingency Service.

Everything that differs between a laptop demo and production comes from the environment
(DESIGN §5). Nothing secret lives in this file or in the repository.

Environment variables (all optional):
  SOLR_DATA_DIR          where the embedded database, broker folders, secrets and keys live
                         (default: ./var beside manage.py)
  DATABASE_URL           e.g. postgresql://user@127.0.0.1:5432/solr (default: SQLite file in the data dir)
  CELERY_BROKER_URL      e.g. redis://127.0.0.1:6379/0 (default: kombu's filesystem transport in the data dir)
  CELERY_RESULT_BACKEND  e.g. redis://127.0.0.1:6379/1 (default: files in the data dir)
  DJANGO_SECRET_KEY      or DJANGO_SECRET_KEY_FILE; otherwise a key generated once into the data dir
  DJANGO_DEBUG           "1"/"true" turns debug on; off by default
  DJANGO_ALLOWED_HOSTS   comma separated (default: localhost,127.0.0.1,[::1])
  SOLR_CONTINGENCY_ROLE_CODE  the DUIS code of the SoLR Contingency User Role (default: SC)
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from portal.secret_files import read_secret

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(os.environ.get("SOLR_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


SECRET_KEY = read_secret("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY_FILE", DATA_DIR / "secret_key")
DEBUG = env_bool("DJANGO_DEBUG")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()
]

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
    "portal",
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
    "portal.audit.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
# SQLite is shared by the web process and the Celery worker (DESIGN §5): WAL so readers never
# block the writer, a busy timeout, and IMMEDIATE transactions so two writers queue instead of
# failing with "database is locked" on lock upgrade.
SQLITE_PATH = DATA_DIR / "db.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"), conn_max_age=0
    )
}
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
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SoLR Contingency Service API",
    "VERSION": "0.1.0",
}

# --- Celery ---------------------------------------------------------------------------------
# Embedded default: kombu's filesystem transport, which needs no server (DESIGN §5). It works
# between processes of one host; production sets CELERY_BROKER_URL to Redis.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_FILESYSTEM_DIR = DATA_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (CELERY_FILESYSTEM_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT = "portal.broker:Transport"  # atomic message files (see portal/broker.py)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "queue"),
        "processed_folder": str(CELERY_FILESYSTEM_DIR / "processed"),
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),  # broadcast (ping, inspect) tables
        "store_processed": False,
        "polling_interval": 0.1,
    }
_results_dir = DATA_DIR / "celery-results"
if "CELERY_RESULT_BACKEND" not in os.environ:
    _results_dir.mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", f"file://{_results_dir}")
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
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER")
# Periodic work; later issues add their entries here.
CELERY_BEAT_SCHEDULE = {
    "audit-seal": {"task": "portal.tasks.seal_audit_log", "schedule": 10.0},
    # Signs a new CRL only when the revocations in effect changed (e.g. a scheduled one fell due).
    "pki-refresh-crl": {"task": "pki.tasks.refresh_crl", "schedule": 60.0},
}

# --- the product ----------------------------------------------------------------------------
SOLR_CONTINGENCY_ROLE_CODE = os.environ.get("SOLR_CONTINGENCY_ROLE_CODE", "SC")
# The DCC's own User ID (DUIS: the target of non-device requests, the originator of responses).
DCC_USER_ID = os.environ.get("SOLR_DCC_USER_ID", "90-B3-D5-1F-30-00-00-02")

# SMKI (pki/conf.py has every SMKI_* setting with its default; these are the ones operators change).
SMKI_KEYSTORE_CLASS = os.environ.get("SMKI_KEYSTORE_CLASS", "pki.keystore.EncryptedFileKeyStore")
SMKI_CERT_VALIDITY_DAYS = int(os.environ.get("SMKI_CERT_VALIDITY_DAYS", str(365 * 10)))
SMKI_CRL_VALIDITY_HOURS = int(os.environ.get("SMKI_CRL_VALIDITY_HOURS", "24"))
# How long a verified signer's parsed certificate is kept per process; its revocation state is re-read
# on every request regardless (pki/xmldsig.py). 0 turns the cache off.
PKI_SIGNER_CACHE_SECONDS = float(os.environ.get("PKI_SIGNER_CACHE_SECONDS", "300"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
