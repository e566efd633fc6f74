"""The ADT workflow (MP134B business requirement 4; docs/adt-format.md): upload, approve, reject.

Each action takes the acting person and validated values, runs in one transaction, writes its audit record
with that person as the actor, and refuses with a ``portal.errors.Refusal`` whose ``code`` is listed in
docs/refusal-codes.md ("ADT files"):

- ``upload_adt_file(person, party, file_name, data)`` — an acting SRO (neither rejected nor removed) or a
  verified ARO of ``party`` (SEC Section L, the SMKI RAPP); who acts is the registry's word, ``portal.offices``.
  Every row is checked (``parse.parse_adt`` then ``check_rows`` against the registry); any problem refuses the
  whole file with ``AdtFileRejected`` listing them all, and nothing is stored.
- ``approve_adt_file(person, adt_file)`` — another SRO of the same Party or a DCC operator; never the
  uploader (four eyes). Compare-and-set on ``state``: of two approvers at once, one wins and the other is
  refused with ``adt-file-not-submitted``.
- ``reject_adt_file(person, adt_file, reason)`` — whoever may approve it.

``visible_adt_files(person)`` is what a person may see (their Parties' files; everything for a DCC
operator), for the pages and the API built on these services.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from portal import audit, offices
from portal.errors import Refusal
from portal.models import Office, OfficeKind, Party, PartyKind, UserID, solr_role_code

from .. import conf
from ..models import AdtFile, AdtFileState, AdtThreshold
from .parse import WILDCARD, AdtFileRejected, AdtRow, RowError, parse_adt

# The DUIS User Roles of a Supplier's User ID (DUIS 'Eligible User Roles'): what an ADT target must hold.
SUPPLIER_ROLES = frozenset({"IS", "ES", "GS"})
_EUI_CHUNK = 2000


class AdtRefused(Refusal):
    """An ADT action was refused; nothing changed.

    Codes: ``adt-upload-not-allowed``, ``adt-approve-not-allowed``, ``adt-reject-not-allowed``, ``adt-four-eyes``,
    ``adt-file-not-submitted``.
    """

    code = "adt-refused"

    def __init__(self, message: str = "", *, code: str | None = None):
        super().__init__(message, code=code)
        # For the people's API (portal/api/errors.py) and the pages: a decision taken meanwhile is a conflict
        # (409); every other ADT refusal forbids the action to this person (403).
        self.http_status = 409 if self.code == "adt-file-not-submitted" else 403


def max_file_bytes() -> int:
    """The size limit of an uploaded ADT file: the setting ``SOLR_ADT_MAX_BYTES`` (contingency/conf.py)."""
    return conf.get("SOLR_ADT_MAX_BYTES")


def read_upload(uploaded) -> bytes:
    """An uploaded file's bytes, read to at most one byte over the limit: ``parse_adt`` then refuses a larger file
    (``adt-file-too-large``) without holding all of it in memory."""
    return uploaded.read(max_file_bytes() + 1)


# --- who --------------------------------------------------------------------------------------------

def _acting_offices(person):
    """The offices through which ``person`` may act now, in the registry's own words (``portal.offices``):
    verified AROs only (issue 8 point 5), other offices while live, so a rejected or removed SRO acts for
    nobody (SEC Section L, the SMKI RAPP); nothing for an anonymous or inactive person."""
    return Office.objects.acting().of_person(person)


def may_upload(person, party: Party | int) -> bool:
    """An acting SRO or a verified ARO of ``party``."""
    return offices.acting_sro(person, party) is not None or offices.acting_aro(person, party) is not None


def upload_parties(person):
    """The Parties for which ``person`` may upload ADT files (the upload page's and the API's choice)."""
    acting = _acting_offices(person).filter(kind__in=(OfficeKind.SRO, OfficeKind.ARO)).values("party_id")
    return Party.objects.filter(pk__in=acting).order_by("name")


def may_decide(person, adt_file: AdtFile) -> bool:
    """An SRO of the file's Party or a DCC operator (the four-eyes rule is checked apart: ``approve``)."""
    return offices.acting_sro(person, adt_file.party_id) is not None or offices.is_dcc_operator(person)


def visible_adt_files(person):
    """The ADT files ``person`` may see: every file for a DCC operator, else their Parties' files."""
    if offices.is_dcc_operator(person):
        return AdtFile.objects.all()
    parties = _acting_offices(person).filter(kind__in=(OfficeKind.SRO, OfficeKind.ARO)).values("party_id")
    return AdtFile.objects.filter(party_id__in=parties)


# --- the registry checks ------------------------------------------------------------------------------

class _Facts:
    __slots__ = ("pk", "party_id", "party_kind", "roles")

    def __init__(self, pk: int, party_id: int, party_kind: str):
        self.pk, self.party_id, self.party_kind, self.roles = pk, party_id, party_kind, set()


def _facts(euis: Iterable[str]) -> dict[str, _Facts]:
    """EUI → what the rules need about that User ID, in one query per 2,000 EUIs."""
    facts: dict[str, _Facts] = {}
    wanted = sorted(set(euis))
    # In chunks: a large file may name thousands of EUIs, more than a database takes as query parameters.
    for start in range(0, len(wanted), _EUI_CHUNK):
        rows = UserID.objects.filter(eui__in=wanted[start:start + _EUI_CHUNK]).order_by().values_list(
            "eui", "pk", "party_id", "party__kind", "roles__role")
        for eui, pk, party_id, kind, role in rows:
            entry = facts.setdefault(eui, _Facts(pk, party_id, kind))
            if role:
                entry.roles.add(role)
    return facts


def _row_facts(rows: list[AdtRow]) -> dict[str, _Facts]:
    return _facts([r.user_id for r in rows] + [r.target_supplier for r in rows if r.target_supplier != WILDCARD])


def check_rows(party: Party, rows: list[AdtRow], facts: dict[str, _Facts] | None = None) -> list[RowError]:
    """The problems of ``rows`` against the registry (one query per 2,000 distinct EUIs)."""
    facts = _row_facts(rows) if facts is None else facts
    solr = solr_role_code()
    errors: list[RowError] = []
    for row in rows:
        user = facts.get(row.user_id)
        if user is None or user.party_id != party.pk:
            # Unknown or another Party's: said the same way, so a Party learns nothing about others' User IDs.
            errors.append(RowError(row.line, "user_id", "user-id-not-of-party",
                                   f"{row.user_id} is not a User ID of {party}"))
        if row.target_supplier == WILDCARD:
            if user is not None and solr in user.roles:
                # MP134B BR4: a SoLR Contingency User ID acts for one specific Supplier only.
                errors.append(RowError(row.line, "target_supplier", "target-supplier-required",
                                       "a SoLR Contingency User ID's row names one Supplier's User ID, not '*'"))
            continue
        if user is not None and solr not in user.roles:
            errors.append(RowError(row.line, "target_supplier", "target-supplier-not-wildcard",
                                   "only a SoLR Contingency User ID's row names a Supplier; other roles write '*'"))
            continue
        target = facts.get(row.target_supplier)
        if target is None:
            errors.append(RowError(row.line, "target_supplier", "target-supplier-unknown",
                                   f"{row.target_supplier} is not a registered User ID"))
        elif target.party_kind != PartyKind.SUPPLIER or not (target.roles & SUPPLIER_ROLES):
            errors.append(RowError(row.line, "target_supplier", "target-not-a-supplier",
                                   f"{row.target_supplier} is not a Supplier's User ID (IS, ES or GS)"))
    return errors


# --- the actions --------------------------------------------------------------------------------------

def _file_state(adt_file: AdtFile) -> dict:
    return {"state": adt_file.state, "party": adt_file.party_id, "file_name": adt_file.file_name,
            "sha256": adt_file.sha256}


def _base_name(file_name: str) -> str:
    """The file's own name, without any folder a browser sent with it; at most 255 characters."""
    name = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return (name or "adt.csv")[-255:]


def upload_adt_file(person, party: Party, file_name: str, data: bytes) -> AdtFile:
    """Store a valid ADT file as ``submitted``; or refuse it (``AdtRefused``, ``AdtFileRejected``), storing nothing."""
    if not may_upload(person, party):
        raise AdtRefused(f"only an SRO or a verified ARO of {party} uploads its ADT files",
                         code="adt-upload-not-allowed")
    rows = parse_adt(data, max_bytes=max_file_bytes())
    with transaction.atomic():
        # The registry checks and the writes in one transaction: a User ID cannot change in between.
        facts = _row_facts(rows)
        errors = check_rows(party, rows, facts)
        if errors:
            raise AdtFileRejected(f"{len(errors)} problem(s) in the file", errors=errors)
        adt_file = AdtFile.objects.create(
            party=party, uploaded_by=person, file_name=_base_name(file_name),
            sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        AdtThreshold.objects.bulk_create([
            AdtThreshold(file=adt_file, line=r.line, user_id_id=facts[r.user_id].pk, srv=r.srv,
                         target_supplier_id=None if r.target_supplier == WILDCARD else facts[r.target_supplier].pk,
                         warning_level=r.warning_level, quarantine_level=r.quarantine_level,
                         window_minutes=r.window_minutes)
            for r in rows
        ])
        audit.write("adt_file.upload", adt_file, actor=person.get_username(),
                    after={**_file_state(adt_file), "rows": len(rows), "size": adt_file.size})
    return adt_file


def _claim(person, adt_file: AdtFile | int, new_state: str, **changes) -> AdtFile:
    """Compare-and-set ``submitted`` → ``new_state``; refuse whoever comes second."""
    pk = getattr(adt_file, "pk", adt_file)
    won = AdtFile.objects.filter(pk=pk, state=AdtFileState.SUBMITTED).update(state=new_state, **changes)
    current = AdtFile.objects.get(pk=pk)
    if not won:
        raise AdtRefused(f"ADT file #{pk} is {current.state}, no longer submitted", code="adt-file-not-submitted")
    return current


def _check_decider(person, adt_file: AdtFile, action: str) -> None:
    if not may_decide(person, adt_file):
        raise AdtRefused(f"only an SRO of {adt_file.party} or a DCC operator may {action} this file",
                         code=f"adt-{action}-not-allowed")


def approve_adt_file(person, adt_file: AdtFile | int) -> AdtFile:
    """Make the file's rows the active thresholds for their keys; earlier rows for those keys are retired, and a
    file left with no active row becomes ``superseded``."""
    with transaction.atomic():
        adt_file = AdtFile.objects.select_related("party").get(pk=getattr(adt_file, "pk", adt_file))
        # Four eyes first: the uploader is refused for that reason whatever their office (an ARO uploader too).
        if adt_file.uploaded_by_id == person.pk:
            raise AdtRefused("the uploader cannot approve their own ADT file (four eyes)", code="adt-four-eyes")
        _check_decider(person, adt_file, "approve")
        # One approval per Party at a time (the Party row is locked on PostgreSQL; SQLite's IMMEDIATE
        # transactions serialise writers anyway): two files with a common key never both go active.
        list(Party.objects.select_for_update().filter(pk=adt_file.party_id).values_list("pk", flat=True))
        now = timezone.now()
        adt_file = _claim(person, adt_file, AdtFileState.ACTIVE, approved_by=person, approved_at=now)

        rows = list(adt_file.rows.all())
        keys = {(r.user_id_id, r.srv, r.target_supplier_id) for r in rows}
        candidates = AdtThreshold.objects.active().filter(
            user_id_id__in={k[0] for k in keys}, srv__in={k[1] for k in keys}).exclude(file_id=adt_file.pk)
        retired = [r for r in candidates if (r.user_id_id, r.srv, r.target_supplier_id) in keys]
        AdtThreshold.objects.filter(pk__in=[r.pk for r in retired]).update(active=False)
        adt_file.rows.update(active=True)
        audit.write("adt_file.approve", adt_file, actor=person.get_username(),
                    before={"state": AdtFileState.SUBMITTED},
                    after={**_file_state(adt_file), "approved_by": person.get_username(), "rows": len(rows),
                           "retired_rows": sorted(r.pk for r in retired)})

        for earlier in AdtFile.objects.filter(pk__in={r.file_id for r in retired}, state=AdtFileState.ACTIVE):
            if not earlier.rows.active().exists():
                AdtFile.objects.filter(pk=earlier.pk, state=AdtFileState.ACTIVE).update(
                    state=AdtFileState.SUPERSEDED, superseded_at=now)
                earlier.refresh_from_db()
                audit.write("adt_file.supersede", earlier, actor=person.get_username(),
                            before={"state": AdtFileState.ACTIVE},
                            after={**_file_state(earlier), "superseded_by": adt_file.pk})
    return adt_file


def reject_adt_file(person, adt_file: AdtFile | int, reason: str = "") -> AdtFile:
    """Refuse a submitted file: it never becomes active (it stays in the history)."""
    with transaction.atomic():
        adt_file = AdtFile.objects.select_related("party").get(pk=getattr(adt_file, "pk", adt_file))
        _check_decider(person, adt_file, "reject")
        adt_file = _claim(person, adt_file, AdtFileState.REJECTED, rejected_by=person,
                          rejected_at=timezone.now(), reject_reason=reason[:500])
        audit.write("adt_file.reject", adt_file, actor=person.get_username(),
                    before={"state": AdtFileState.SUBMITTED},
                    after={**_file_state(adt_file), "rejected_by": person.get_username(), "reason": reason[:500]})
    return adt_file
