"""Reading the Authority's evidence (issue 9 point 1; docs/events.md "Evidence downloads").

An instruction's evidence PDF is read by DCC operators and the Authority's officers only
(``records.can_download_evidence``), and every download is traceable: ``open_evidence`` writes the audit record
``instruction.evidence_download`` (the person, the instruction, the file by name, SHA-256 and size, the licence
revocation it follows, the channel) before it hands the file over. Why a read is recorded here when other reads
are not: the Authority's instruction is what allows the SRP to act at all (MP134B business requirement 6), and who
saw it must be traceable for the scrutiny such decisions get (the SMKI PMA, Ofgem, User Security Assessments).

A refused person gets ``EventRefused`` (``not-permitted``) and no file, and no record: refused page views are not
recorded anywhere in the house (the audit log records what was done; sign-in refusals are recorded by the accounts).
A file missing from the store raises ``FileNotFoundError``: nothing was read, so nothing is recorded.
"""

from __future__ import annotations

from django.core.files import File
from django.db import transaction

from portal import audit

from ..models import Instruction, LicenceRevocation
from .records import can_download_evidence
from .refusals import EventRefused

CHANNELS = ("web", "api")


def open_evidence(person, instruction: Instruction, *, channel: str) -> File:
    """The instruction's evidence, opened for reading (the caller streams and closes it), after its download by
    ``person`` through ``channel`` (``web``: the event page, ``api``: /api/v1/instructions/{id}/evidence/) is
    audited. Refuses with ``not-permitted`` anyone who may not read evidence."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}")
    if not can_download_evidence(person):
        raise EventRefused("the evidence is for DCC operators and the Authority's officers", code="not-permitted")
    handle = instruction.evidence.open("rb")  # FileNotFoundError: nothing to hand over, nothing recorded
    try:
        revocation = LicenceRevocation.objects.of_supplier(instruction.supplier_id).values_list("pk", flat=True).first()
        with transaction.atomic():
            audit.write("instruction.evidence_download", instruction, actor=person.get_username(), after={
                "reference": instruction.reference, "supplier_id": instruction.supplier_id,
                "licence_revocation": revocation, "evidence_name": instruction.evidence_name,
                "evidence_sha256": instruction.evidence_sha256, "evidence_size": instruction.evidence_size,
                "channel": channel,
            })
    except BaseException:
        handle.close()  # no record, no file
        raise
    return handle
