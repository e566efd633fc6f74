"""The Authority's records of a SoLR event (issue 9 points 1–2; MP134B business requirement 6).

Each action takes the acting person and validated values, runs in one transaction, writes its audit record
with that person as the actor, and refuses with ``EventRefused`` (docs/events.md, docs/refusal-codes.md);
a refusal changes nothing.

- ``record_licence_revocation`` — the Authority revokes a Supplier's licence from ``effective_at`` and appoints a
  Supplier of Last Resort. The Party's ``licence_status`` follows at the effective time (at once if it has
  passed, otherwise ``certificates.apply_due_revocations``, a beat task), and so do its certificates.
- ``record_deferral`` — the SMKI PMA deferred the revocation of the Supplier's certificates; only while they
  are not yet revoked (``deferral-too-late``).
- ``record_instruction`` — the contingency instruction: the SRP's SoLR Contingency User ID, SRVs, scope, window
  and the evidence PDF.

Who: an Authority officer, or a DCC operator recording on the Authority's behalf (``on_behalf_of_authority``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal import audit
from portal.eui import InvalidEUI64, parse_eui64
from portal.models import LicenceStatus, OfficeKind, Party, PartyKind, UserID, UserRole, solr_role_code
from portal.offices import is_dcc_operator
from portal.offices.services import acting_offices

from .. import conf
from ..adt.srv import is_known_srv
from ..models import Device, Instruction, LicenceRevocation, ScopeKind
from .refusals import EventRefused

DEFAULT_SRVS = ("1.6",)  # MP134B business requirement 3: Update Payment Mode, to Credit only
PDF_MAGIC = b"%PDF-"
PDF_CONTENT_TYPES = frozenset({"application/pdf", "application/x-pdf"})


# --- who -----------------------------------------------------------------------------------------------

def is_authority_officer(person) -> bool:
    """A verified Authority officer office of an active, signed-in person."""
    return acting_offices(person).filter(kind=OfficeKind.AUTHORITY_OFFICER).verified().exists()


def may_record(person) -> bool:
    """An Authority officer, or a DCC operator recording on the Authority's behalf."""
    return is_authority_officer(person) or is_dcc_operator(person)


def can_view_events(person) -> bool:
    """DCC operators (the service desk's console) and Authority officers."""
    return may_record(person)


def can_download_evidence(person) -> bool:
    """The evidence document is read by DCC operators and the Authority only (issue 9 point 1)."""
    return may_record(person)


def _recorder(person) -> bool:
    """Check ``person`` may record; returns ``on_behalf_of_authority`` (True for a DCC operator)."""
    if is_authority_officer(person):
        return False
    if is_dcc_operator(person):
        return True
    raise EventRefused("only an Authority officer, or a DCC operator on the Authority's behalf, records this",
                       code="not-permitted")


def _aware(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise EventRefused(f"{what} needs a date, a time and a time zone", code="bad-window")
    return value


def _supplier(party: Party, what: str = "the failed Supplier") -> Party:
    if party.kind != PartyKind.SUPPLIER:
        raise EventRefused(f"{party} is not a Supplier ({what})", code="not-a-supplier")
    return party


# --- licence revocation ----------------------------------------------------------------------------------

def _revocation_state(revocation: LicenceRevocation) -> dict:
    return {"supplier": revocation.supplier.short_name, "effective_at": revocation.effective_at,
            "solr": revocation.solr.short_name, "reference": revocation.reference,
            "on_behalf_of_authority": revocation.on_behalf_of_authority,
            "certificates_deferred_until": revocation.certificates_deferred_until,
            "deferral_decided_by": revocation.deferral_decided_by,
            "certificates_revoked_at": revocation.certificates_revoked_at}


def record_licence_revocation(actor, *, supplier: Party, effective_at: datetime, solr: Party,
                              reference: str = "") -> LicenceRevocation:
    """Record the revocation of ``supplier``'s licence from ``effective_at`` and the SoLR appointed.

    If the effective time has passed, the Party is marked revoked and its certificates are revoked now (in this
    transaction); otherwise the beat task does both when it falls due."""
    from .certificates import apply_due_revocation

    on_behalf = _recorder(actor)
    _supplier(supplier)
    _supplier(solr, "the Supplier of Last Resort")
    _aware(effective_at, "the effective time")
    if solr.pk == supplier.pk:
        raise EventRefused("the Supplier of Last Resort must be another Supplier", code="not-a-supplier")
    with transaction.atomic():
        locked = Party.objects.select_for_update().get(pk=supplier.pk)
        if locked.licence_status == LicenceStatus.REVOKED or LicenceRevocation.objects.of_supplier(locked).exists():
            raise EventRefused(f"the licence of {locked} is already revoked", code="licence-already-revoked")
        revocation = LicenceRevocation.objects.create(
            supplier=locked, effective_at=effective_at, solr=solr, reference=(reference or "").strip()[:100],
            recorded_by=actor, on_behalf_of_authority=on_behalf)
        audit.write("licence_revocation.record", revocation, actor=actor.get_username(),
                    after=_revocation_state(revocation))
        apply_due_revocation(revocation)
    revocation.refresh_from_db()
    return revocation


def record_deferral(actor, revocation: LicenceRevocation, *, until: datetime, decided_by: str) -> LicenceRevocation:
    """The SMKI PMA deferred the revocation of the failed Supplier's certificates to ``until``.

    Refused once the certificates are revoked (``deferral-too-late``): pki cannot take a revocation back. A
    deferral may be recorded again (a new time) while they are not."""
    from .certificates import apply_due_revocation

    _recorder(actor)
    _aware(until, "the deferral's time")
    decided_by = (decided_by or "").strip()
    if not decided_by:
        raise EventRefused("say who in the SMKI PMA decided the deferral", code="deferral-decider-missing")
    with transaction.atomic():
        # Locked: the beat task revokes with a compare-and-set on this row, so one of the two comes first.
        locked = LicenceRevocation.objects.select_for_update().filter(pk=revocation.pk).first()
        if locked is None:
            raise EventRefused("no such licence revocation", code="not-found")
        if locked.certificates_revoked_at is not None:
            raise EventRefused("the Supplier's certificates are already revoked", code="deferral-too-late")
        if until <= locked.effective_at:
            raise EventRefused("a deferral ends after the licence revocation takes effect", code="bad-window")
        before = _revocation_state(locked)
        locked.certificates_deferred_until = until
        locked.deferral_decided_by = decided_by[:200]
        locked.deferral_recorded_by = actor
        locked.save(update_fields=["certificates_deferred_until", "deferral_decided_by", "deferral_recorded_by"])
        audit.write("licence_revocation.defer", locked, actor=actor.get_username(), before=before,
                    after=_revocation_state(locked))
        apply_due_revocation(locked)
    locked.refresh_from_db()
    return locked


# --- instruction -----------------------------------------------------------------------------------------

def max_evidence_bytes() -> int:
    return conf.get("SOLR_EVIDENCE_MAX_BYTES")


def _evidence_bytes(evidence) -> bytes:
    """The evidence's bytes, checked: at most SOLR_EVIDENCE_MAX_BYTES, a PDF by its magic and its declared type."""
    limit = max_evidence_bytes()
    size = getattr(evidence, "size", None)
    if size is not None and size > limit:
        raise EventRefused(f"the evidence is larger than {limit} bytes", code="evidence-too-large")
    if hasattr(evidence, "seek"):
        evidence.seek(0)
    data = evidence.read(limit + 1)  # never more than one byte over the limit in memory
    if len(data) > limit:
        raise EventRefused(f"the evidence is larger than {limit} bytes", code="evidence-too-large")
    content_type = (getattr(evidence, "content_type", None) or "").split(";")[0].strip().lower()
    if not data.startswith(PDF_MAGIC) or (content_type and content_type not in PDF_CONTENT_TYPES):
        raise EventRefused("the evidence must be a PDF document", code="evidence-not-pdf")
    return data


def _base_name(name: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return (name or "evidence.pdf")[-255:]


def _srvs(srvs: list[str] | None) -> list[str]:
    if isinstance(srvs, str):
        srvs = [srvs]
    chosen = [str(s).strip() for s in (DEFAULT_SRVS if srvs is None else srvs)]
    unknown = [s for s in chosen if not is_known_srv(s)]
    if unknown or not chosen:
        raise EventRefused(f"not DUIS Service Reference Variants: {', '.join(unknown) or '(none given)'}",
                           code="unknown-srv")
    return sorted(set(chosen), key=chosen.index)


def _listed_devices(supplier: Party, device_euis: list[str]) -> list[int]:
    """The primary keys of the listed meters, all of them meters of ``supplier``; else ``unknown-devices``
    naming every EUI that is not (in any spelling portal.eui accepts)."""
    canonical: dict[str, str] = {}
    bad = []
    for raw in device_euis:
        try:
            canonical.setdefault(parse_eui64(raw), str(raw))
        except InvalidEUI64:
            bad.append(str(raw))
    found: dict[str, int] = {}
    euis = list(canonical)
    for start in range(0, len(euis), 2000):  # inside every database's parameter limit
        found.update(Device.objects.of_supplier(supplier).meters().filter(eui__in=euis[start:start + 2000])
                     .values_list("eui", "pk"))
    bad += [eui for eui in euis if eui not in found]
    if bad or not euis:
        raise EventRefused(f"not meters of {supplier}: {', '.join(bad[:20]) or '(no device listed)'}"
                           + (f" and {len(bad) - 20} more" if len(bad) > 20 else ""),
                           code="unknown-devices", devices=bad)
    return list(found.values())


def _instruction_state(instruction: Instruction, device_count: int) -> dict:
    return {"reference": instruction.reference, "supplier": instruction.supplier.short_name,
            "contingency_user_id": instruction.contingency_user_id.eui, "srvs": instruction.srvs,
            "scope": instruction.scope, "devices": device_count, "valid_from": instruction.valid_from,
            "valid_to": instruction.valid_to, "evidence_name": instruction.evidence_name,
            "evidence_sha256": instruction.evidence_sha256, "evidence_size": instruction.evidence_size,
            "on_behalf_of_authority": instruction.on_behalf_of_authority}


def licence_revoked_by(supplier: Party, at: datetime) -> bool:
    """Whether ``supplier``'s licence is revoked at ``at``: marked revoked, or a recorded revocation effective by
    then (the beat task marks the Party at the effective time)."""
    if supplier.licence_status == LicenceStatus.REVOKED:
        return True
    return LicenceRevocation.objects.of_supplier(supplier).filter(effective_at__lte=at).exists()


def record_instruction(actor, *, reference: str, supplier: Party, contingency_user_id: UserID,
                       valid_from: datetime, valid_to: datetime, evidence, srvs: list[str] | None = None,
                       device_euis: list[str] | None = None) -> Instruction:
    """Record the Authority's contingency instruction for the failed ``supplier``.

    ``device_euis`` None: all the Supplier's meters; a list: those meters only (each must be one of the
    Supplier's). ``srvs`` defaults to ``["1.6"]``. The evidence PDF is stored under DATA_DIR/evidence."""
    on_behalf = _recorder(actor)
    reference = (reference or "").strip()
    if not reference or len(reference) > Instruction._meta.get_field("reference").max_length:
        raise EventRefused("an instruction needs the Authority's reference (at most 100 characters)",
                           code="bad-reference")
    _supplier(supplier)
    _aware(valid_from, "valid from")
    _aware(valid_to, "valid to")
    if valid_to <= valid_from:
        raise EventRefused("the instruction must end after it starts", code="bad-window")
    chosen_srvs = _srvs(srvs)
    data = _evidence_bytes(evidence)
    stored: list[str] = []
    try:
        return _record_instruction(actor, on_behalf, reference, supplier, contingency_user_id, valid_from, valid_to,
                                   evidence, data, chosen_srvs, device_euis, stored)
    except BaseException:
        # The file is written before the row: a refusal or a failure inside the transaction removes it again.
        # (Should a caller's own outer transaction roll back later, an unreachable file with no row is left.)
        for name in stored:
            Instruction.evidence.field.storage.delete(name)
        raise


def _record_instruction(actor, on_behalf, reference, supplier, contingency_user_id, valid_from, valid_to, evidence,
                        data, chosen_srvs, device_euis, stored) -> Instruction:
    with transaction.atomic():
        supplier = Party.objects.get(pk=supplier.pk)
        if not licence_revoked_by(supplier, valid_from):
            raise EventRefused(f"the licence of {supplier} is not revoked", code="licence-not-revoked")
        holds_role = UserRole.objects.filter(holder_id=contingency_user_id.pk, role=solr_role_code()).exists()
        if not holds_role:
            raise EventRefused(f"{contingency_user_id} does not hold the SoLR Contingency role",
                               code="not-solr-contingency-user-id")
        device_pks = None if device_euis is None else _listed_devices(supplier, device_euis)
        if Instruction.objects.filter(reference=reference).exists():
            raise EventRefused(f"an instruction {reference!r} exists already", code="instruction-reference-exists")
        instruction = Instruction(
            reference=reference, supplier=supplier, contingency_user_id=contingency_user_id,
            srvs=chosen_srvs, scope=ScopeKind.ALL_METERS if device_pks is None else ScopeKind.LISTED,
            valid_from=valid_from, valid_to=valid_to, evidence_name=_base_name(getattr(evidence, "name", "")),
            evidence_sha256=hashlib.sha256(data).hexdigest(), evidence_size=len(data), recorded_by=actor,
            on_behalf_of_authority=on_behalf)
        # The stored name is ours (from the content's digest), never the uploader's: no path comes from outside.
        instruction.evidence.save(f"{instruction.evidence_sha256[:16]}.pdf", ContentFile(data), save=False)
        stored.append(instruction.evidence.name)
        try:
            with transaction.atomic():
                instruction.save()
        except IntegrityError as exc:  # the same reference recorded at the same moment by someone else
            raise EventRefused(f"an instruction {reference!r} exists already",
                               code="instruction-reference-exists") from exc
        if device_pks:
            through = Instruction.devices.through
            through.objects.bulk_create([through(instruction_id=instruction.pk, device_id=pk) for pk in device_pks],
                                        batch_size=2000)
        audit.write("instruction.record", instruction, actor=actor.get_username(),
                    after=_instruction_state(instruction, len(device_pks or ())))
    return instruction
