"""The demo's SoLR events (issue 9 point 11; docs/manifest.md, ``events``).

For each failed demo Supplier an Authority instruction naming the SRP's SoLR Contingency User ID (SRV 1.6, all
its meters), valid from the licence revocation for a year, with a small generated PDF as evidence. The first
failed Supplier's contingency is **active** (requested by the first demo DCC operator, approved by the second:
four eyes); the second's is **requested** and waits for approval. They go through the real services, audited.

Idempotent: an instruction whose reference exists is kept, and an activation is requested only when the
instruction has none; a second run creates nothing and returns the same events.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from portal import demo as registry
from portal.models import OfficeKind, Party, UserID

from ..models import Instruction
from .activation import approve_activation, request_activation
from .evidence import simple_pdf
from .queries import event_summary
from .records import record_instruction

WINDOW = timedelta(days=365)


def _people() -> tuple:
    """The demo's Authority officer and its first two DCC operators (portal.demo.PEOPLE)."""
    officer = next(p.username for p in registry.PEOPLE if p.office == OfficeKind.AUTHORITY_OFFICER)
    first, second = [p.username for p in registry.PEOPLE if p.office == OfficeKind.DCC_OPERATOR][:2]
    users = {u.username: u for u in get_user_model().objects.filter(username__in=(officer, first, second))}
    return users[officer], users[first], users[second]


def reference(supplier: registry.DemoSupplier) -> str:
    return f"DEMO/SOLR/{supplier.index:03d}"


def _instruction(spec: registry.DemoSupplier, officer) -> Instruction:
    existing = Instruction.objects.filter(reference=reference(spec)).first()
    if existing is not None:
        return existing
    supplier = Party.objects.get(short_name=spec.short_name)
    start = supplier.licence_revoked_at  # set once, at the first seeding: the same window on every run
    letter = simple_pdf([
        "Gas and Electricity Markets Authority - DEMO DOCUMENT, not a real direction",
        f"Direction {reference(spec)}: SoLR contingency for {spec.name}",
        f"The SRP's SoLR Contingency User ID {registry.SRP_SOLR_USER_ID} may send SRV 1.6",
        "(Update Payment Mode, to Credit only) to all of the Supplier's meters,",
        f"from {start:%Y-%m-%d %H:%M} UTC to {start + WINDOW:%Y-%m-%d %H:%M} UTC.",
    ])
    return record_instruction(
        officer, reference=reference(spec), supplier=supplier,
        contingency_user_id=UserID.objects.get(eui=registry.SRP_SOLR_USER_ID), valid_from=start,
        valid_to=start + WINDOW, evidence=ContentFile(letter, name=f"direction-{spec.short_name}.pdf"))


def seed_events(out_dir: Path) -> list[dict]:
    """Make sure the demo events exist; returns the manifest's ``events`` list (event_summary of each)."""
    officer, requester, approver = _people()
    failed = [s for s in registry.SUPPLIERS if s.failed]
    events = []
    for position, spec in enumerate(failed):
        instruction = _instruction(spec, officer)
        if not instruction.activations.exists():
            activation = request_activation(requester, instruction)
            if position == 0:  # the first failed Supplier's contingency is on; the second's awaits approval
                approve_activation(approver, activation.pk, version=activation.version)
        events.append(event_summary(instruction))
    return events
