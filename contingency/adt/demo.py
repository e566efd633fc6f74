"""The demo's ADT thresholds (issue 8 point 13; docs/manifest.md, ``adt``).

For each User ID of each failed demo Supplier (its electricity and its gas User ID alike), an active threshold
for the SRP's SoLR Contingency User ID and SRV 1.6, with a 60-minute window and levels at least twice that
Supplier's demo meter count, so a drill over every meter never trips them. They go through the real workflow:
the SRP's ARO uploads the file, its SRO approves it (four eyes), both audited.

Idempotent: when the active thresholds already cover the meters, nothing is created; a larger ``--meters``
uploads and approves a new file that supersedes the old one.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model

from portal import demo as registry
from portal.models import Party

from ..models import AdtThreshold
from .parse import COLUMNS
from .services import approve_adt_file, upload_adt_file

SRV = "1.6"
WINDOW_MINUTES = 60
UPLOADER = "srp.aro"
APPROVER = "srp.sro"


def _wanted(meters: int) -> list[dict]:
    warning = max(2 * meters, 1)
    return [
        {"user_id": registry.SRP_SOLR_USER_ID, "srv": SRV, "target_supplier": eui, "warning_level": warning,
         "quarantine_level": 2 * warning, "window_minutes": WINDOW_MINUTES}
        for supplier in registry.SUPPLIERS if supplier.failed
        for eui in (supplier.import_supplier_eui, supplier.gas_supplier_eui)
    ]


def _active_rows() -> list[dict]:
    """The active thresholds of the demo SRP's User IDs, as the manifest lists them."""
    rows = (AdtThreshold.objects.active().filter(user_id__party__short_name=registry.SRP[1])
            .select_related("user_id", "target_supplier"))
    entries = [
        {"user_id": r.user_id.eui, "srv": r.srv, "target_supplier": r.target_supplier.eui if r.target_supplier else "*",
         "warning_level": r.warning_level, "quarantine_level": r.quarantine_level,
         "window_minutes": r.window_minutes}
        for r in rows
    ]
    return sorted(entries, key=lambda e: (e["user_id"], e["srv"], e["target_supplier"]))


def _covered(wanted: dict, active: dict[tuple, dict]) -> bool:
    row = active.get((wanted["user_id"], wanted["srv"], wanted["target_supplier"]))
    return (row is not None and row["window_minutes"] == WINDOW_MINUTES
            and row["warning_level"] >= wanted["warning_level"] and row["quarantine_level"] >= row["warning_level"])


def seed_adt(out_dir: Path, *, meters: int) -> list[dict]:
    """Make sure the demo thresholds are active; returns the manifest's ``adt`` list."""
    active = {(e["user_id"], e["srv"], e["target_supplier"]): e for e in _active_rows()}
    wanted = _wanted(meters)
    if not all(_covered(w, active) for w in wanted):
        people = {u.username: u for u in get_user_model().objects.filter(username__in=(UPLOADER, APPROVER))}
        lines = [",".join(COLUMNS)] + [",".join(str(w[c]) for c in COLUMNS) for w in wanted]
        adt_file = upload_adt_file(people[UPLOADER], Party.objects.get(short_name=registry.SRP[1]),
                                   "demo-adt.csv", ("\n".join(lines) + "\n").encode())
        approve_adt_file(people[APPROVER], adt_file)
    return _active_rows()
