"""Helpers for tests that start real processes (a Celery worker, the web server)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent


def database_url_for_subprocess() -> str:
    """A DATABASE_URL naming the database the tests use now (pytest-django's test database)."""
    from django.db import connection

    cfg = connection.settings_dict
    if cfg["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{cfg['NAME']}"
    user = cfg.get("USER") or ""
    password = f":{cfg['PASSWORD']}" if cfg.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{cfg['PORT']}" if cfg.get("PORT") else ""
    return f"postgresql://{auth}{cfg.get('HOST') or '127.0.0.1'}{port}/{cfg['NAME']}"


# What a child process must not inherit: the test run's database and broker (it runs on its own data dir).
_DROP = {"DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DJANGO_SETTINGS_MODULE", "SOLR_DEMO",
         "SOLR_HTTPS", "DJANGO_DEBUG", "LOG_LEVEL", "DJANGO_ALLOW_ASYNC_UNSAFE",  # the last: set by scripts/test
         "SOLR_ALLOW_INSECURE_ENDPOINTS"}  # set for the test run by conftest.py; a child says it if it needs it


def child_env(tmp_path, **extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items()
               if k not in _DROP and not k.startswith(("SMKI_", "PKI_", "SOLR_IMPORT", "SOLR_DEMO"))}
    environ["SOLR_DATA_DIR"] = str(tmp_path / "data")
    environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    environ.update(extra)
    return environ
