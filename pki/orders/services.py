"""Who may order certificates, see them, ask for and decide revocations (SMKI RAPP; SEC Section L).

* A **verified ARO** of a Party orders certificates for that Party's User IDs and asks for revocations of
  its certificates. The issuance policy itself is ``pki.issuance`` (not repeated here): a SoLR Contingency
  User ID gets XML signing certificates only (MP134B business requirement 2).
* The Party's verified AROs and SROs see its certificates and revocation requests; DCC operators see all.
* A **DCC operator** approves (revokes through ``pki.revocation``) or rejects a revocation request; never the
  person who asked (four eyes, DESIGN §6).

Refusals are ``OrderRefused`` with a stable code (docs/refusal-codes.md, SMKI); ``http_status`` 403 for an action
the rules forbid an allowed viewer. Objects a person may not see are simply not in their querysets (404).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from portal import audit
from portal.errors import Refusal
from portal.models import Office, OfficeKind, OfficeStatus, Party, UserID
from portal.offices.services import is_dcc_operator

from ..issuance import IssuanceRefused, order_certificate
from ..models import Certificate, CertificateOrder, RevocationRequest
from ..revocation import revoke_certificate


class OrderRefused(Refusal):
    """A portal action on certificates refused (docs/refusal-codes.md, SMKI)."""

    code = "certificate-action-refused"
    http_status = 403


def _offices(person, kind: str) -> QuerySet:
    return Office.objects.filter(person=person, kind=kind, status=OfficeStatus.VERIFIED)


def aro_party_ids(person) -> set[int]:
    """The Parties for which ``person`` is a verified ARO (only a verified ARO acts for its Party, SEC L)."""
    if not (person and person.is_authenticated):
        return set()
    return set(_offices(person, OfficeKind.ARO).values_list("party_id", flat=True))


def viewer_party_ids(person) -> set[int]:
    """The Parties whose certificates ``person`` may see: those where they are a verified ARO or SRO."""
    if not (person and person.is_authenticated):
        return set()
    return set(Office.objects.filter(person=person, kind__in=[OfficeKind.ARO, OfficeKind.SRO],
                                     status=OfficeStatus.VERIFIED).values_list("party_id", flat=True))


def can_view(person) -> bool:
    return is_dcc_operator(person) or bool(viewer_party_ids(person))


def _party_certificates_q(party_ids) -> Q:
    # Linked by User ID, or imported before the User ID was registered and carrying its EUI (as held_by does).
    euis = UserID.objects.filter(party_id__in=party_ids).values_list("eui", flat=True)
    return Q(user_id__party_id__in=party_ids) | Q(user_id__isnull=True, subject_eui__in=list(euis))


def visible_certificates(person) -> QuerySet:
    qs = Certificate.objects.select_related("user_id__party")
    if is_dcc_operator(person):
        return qs
    return qs.filter(_party_certificates_q(viewer_party_ids(person)))


def visible_revocation_requests(person) -> QuerySet:
    qs = RevocationRequest.objects.select_related("certificate__user_id__party", "requested_by", "decided_by")
    if is_dcc_operator(person):
        return qs
    parties = viewer_party_ids(person)
    cert_ids = Certificate.objects.filter(_party_certificates_q(parties)).values("pk")
    return qs.filter(certificate_id__in=cert_ids)


def orderable_user_ids(person) -> QuerySet:
    """The User IDs ``person`` may order certificates for: those of the Parties they are a verified ARO of."""
    return UserID.objects.filter(party_id__in=aro_party_ids(person)).select_related("party").order_by("eui")


def certificate_party(cert: Certificate) -> Party | None:
    if cert.user_id_id is not None:
        return cert.user_id.party
    uid = UserID.objects.filter(eui=cert.subject_eui).select_related("party").first() if cert.subject_eui else None
    return uid.party if uid else None


def submit_order(person, user_id: UserID | str, kind: str, csr) -> CertificateOrder:
    """Order a certificate as ``person`` for one of their Party's User IDs. Raises OrderRefused when the person
    may not order for it (``not-aro-of-party``); otherwise returns ``pki.issuance``'s saved order, issued or
    refused with the policy's code. The User ID is looked up within the person's Parties only, so another
    Party's User ID and an unknown one are refused alike (nothing is disclosed)."""
    parties = aro_party_ids(person)
    if not parties:
        raise OrderRefused("only a verified ARO of a Party may order certificates for it", code="not-verified-aro")
    if isinstance(user_id, str):
        from portal.eui import InvalidEUI64, parse_eui64

        try:
            canonical = parse_eui64(user_id)
        except InvalidEUI64 as exc:
            # Malformed input, not a forbidden action: 400.
            raise OrderRefused(str(exc), code="invalid-eui", http_status=400) from None
        uid = UserID.objects.filter(eui=canonical, party_id__in=parties).select_related("party").first()
    else:
        uid = user_id if user_id.party_id in parties else None
    if uid is None:
        raise OrderRefused("that User ID is not one of your Party's", code="not-aro-of-party")
    return order_certificate(uid, kind, csr, requested_by=person.get_username())


def request_revocation(person, cert: Certificate, reason: str) -> RevocationRequest:
    """A verified ARO of the certificate's Party asks for its revocation (decided by a DCC operator)."""
    reason = (reason or "").strip()
    if not reason:
        raise OrderRefused("a revocation request needs a reason", code="revocation-reason-missing")
    party = certificate_party(cert)
    if party is None or party.pk not in aro_party_ids(person):
        raise OrderRefused("only a verified ARO of the certificate's Party may ask for its revocation",
                           code="not-aro-of-party")
    try:
        with transaction.atomic():
            # The row as it is now (the caller's copy may be stale), locked so a revocation cannot slip in between.
            cert = Certificate.objects.select_for_update().get(pk=cert.pk)
            if cert.is_revoked():
                raise OrderRefused(f"certificate #{cert.serial} is already revoked",
                                   code="certificate-already-revoked")
            req = RevocationRequest.objects.create(certificate=cert, reason=reason[:255], requested_by=person)
            audit.write("certificate.revocation_request", req, actor=person.get_username(), after={
                "certificate": cert.serial, "issuer": cert.issuer_name, "reason": req.reason, "status": req.status})
    except IntegrityError:
        # The partial unique index: another open request for this certificate exists.
        raise OrderRefused(f"a revocation of certificate #{cert.serial} is already waiting for a decision",
                           code="revocation-already-requested") from None
    return req


def _decide(person, req: RevocationRequest, to_status: str, note: str) -> RevocationRequest:
    if not is_dcc_operator(person):
        raise OrderRefused("only a DCC operator decides revocation requests", code="not-dcc-operator")
    if req.requested_by_id == person.pk:
        raise OrderRefused("you asked for this revocation: another person must decide it (four eyes)",
                           code="four-eyes")
    now = timezone.now()
    with transaction.atomic():
        # Compare-and-set: only a request still 'requested' moves; a concurrent decision leaves 0 rows here.
        moved = RevocationRequest.objects.filter(pk=req.pk, status=RevocationRequest.Status.REQUESTED).update(
            status=to_status, decided_by=person, decided_at=now, decision_note=(note or "").strip()[:255])
        if not moved:
            raise OrderRefused("this revocation request has already been decided", code="request-already-decided")
        req.refresh_from_db()
        if to_status == RevocationRequest.Status.APPROVED:
            revoke_certificate(req.certificate, reason=req.reason, decided_by=person.get_username())
        audit.write(f"certificate.revocation_{to_status}", req, actor=person.get_username(),
                    before={"status": RevocationRequest.Status.REQUESTED},
                    after={"status": to_status, "certificate": req.certificate.serial,
                           "requested_by": req.requested_by.get_username(), "note": req.decision_note})
    return req


def approve_revocation(person, req: RevocationRequest, note: str = "") -> RevocationRequest:
    """A DCC operator other than the requester approves: the certificate is revoked now (pki.revocation)."""
    return _decide(person, req, RevocationRequest.Status.APPROVED, note)


def reject_revocation(person, req: RevocationRequest, note: str = "") -> RevocationRequest:
    return _decide(person, req, RevocationRequest.Status.REJECTED, note)


__all__ = [
    "IssuanceRefused", "OrderRefused", "approve_revocation", "can_view", "is_dcc_operator", "orderable_user_ids",
    "reject_revocation", "request_revocation", "submit_order", "visible_certificates", "visible_revocation_requests",
]


# How the people's API answers a refused order (pki.issuance's codes, docs/refusal-codes.md): the caller's
# input was bad (400), the policy forbids it (403), or the CA cannot issue now (503).
BAD_INPUT_CODES = {"invalid-kind", "invalid-eui", "invalid-validity", "csr-unreadable", "csr-key-unreadable",
                   "key-not-p256", "csr-signature-unverifiable", "csr-no-proof-of-possession", "issuance-refused"}
UNAVAILABLE_CODES = {"no-issuing-ca", "ca-key-not-held", "ca-key-missing", "ca-hierarchy-partial",
                     "key-undecryptable", "keystore-secret-unavailable", "invalid-key-ref"}


def http_status_for_refusal(code: str) -> int:
    if code in BAD_INPUT_CODES or code.startswith("csr-"):
        return 400
    if code in UNAVAILABLE_CODES:
        return 503
    return 403
