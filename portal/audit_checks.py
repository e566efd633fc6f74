"""System checks of the audit log set-up (``manage.py check --deploy``).

Kept apart from other portal checks: this module is about the audit key only.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def audit_key_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The audit key must not sit in DATA_DIR with the database and the anchor it protects (docs/audit.md)."""
    if os.environ.get("SOLR_AUDIT_KEY"):
        return []
    named = os.environ.get("SOLR_AUDIT_KEY_FILE")
    data_dir = Path(settings.DATA_DIR).resolve()
    path = Path(named) if named else data_dir / "audit_key"
    if named and not path.exists():
        return [checks.Error(f"SOLR_AUDIT_KEY_FILE names {path}, which does not exist",
                             hint="Fix the path; the audit log will not make a new key there.", id="portal.E100")]
    if path.resolve().is_relative_to(data_dir):
        return [checks.Warning(
            f"the audit key comes from {path}, inside DATA_DIR ({data_dir}) beside the audit anchor (and the "
            f"SQLite database, when used): whoever copies or writes DATA_DIR gets the key too and can rewrite the "
            f"audit history and forge its anchor",
            hint="Set SOLR_AUDIT_KEY_FILE to a file outside DATA_DIR (e.g. a mounted secret) or SOLR_AUDIT_KEY, "
                 "and never back the key up together with the database (docs/audit.md).",
            id="portal.W100",
        )]
    return []
