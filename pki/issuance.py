"""Ordering and issuing SMKI Organisation Certificates (SMKI RAPP: Organisation Certificate requests).

``order_certificate()`` records every request as a CertificateOrder, issued or refused with the reason, and
audits it. The checks, in order:
1. the User ID exists and is active;
2. the issuance policy (pki.models.IssuancePolicy, data) lets one of its roles hold the kind; a User ID that
   holds the SoLR Contingency role may hold XML signing certificates only, whatever the data says
   (MP134B business requirement 2);
3. the CSR reads (PEM or DER), its self-signature verifies (proof of possession), its key is EC P-256.
The subject is built from the registry: CN = the Party's short name, OU = the role code, x500UniqueIdentifier
= the User ID's EUI-64.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.db import transaction
from django.utils import timezone

from portal import audit
from portal.errors import Refusal
from portal.eui import InvalidEUI64, parse_eui64
from portal.models import DuisRole, PartyKind, UserID, UserIDStatus, solr_role_code

from . import ca as ca_module
from . import conf, profile
from .csr import CSRRejected, checked_public_key, load_csr
from .keystore import KeyStoreError
from .models import (
    ROLE_ACCESS_CONTROL_BROKER,
    ROLE_DSP_XML_SIGN,
    ROLE_NETWORK_OPERATOR,
    ROLE_OTHER,
    ROLE_SUPPLIER,
    ROLE_XML_SIGN,
    CertificateKind,
    CertificateOrder,
    IssuancePolicy,
)
from .store import new_certificate

# Policy rows for the DCC's own User IDs use this pseudo-role (the DCC holds no DUIS User Role).
DCC_POLICY_ROLE = "DCC"
SUPPLIER_ROLES = {DuisRole.IS, DuisRole.ES, DuisRole.GS}
NETWORK_ROLES = {DuisRole.ED, DuisRole.GT}


class IssuanceRefused(Refusal):
    """A certificate order refused (docs/refusal-codes.md, SMKI). ``reason`` is the message for people; ``order``
    the saved refused order, when there is one."""

    code = "issuance-refused"

    def __init__(self, reason: str, order: CertificateOrder | None = None, *, code: str | None = None):
        super().__init__(reason, code=code)
        self.reason = reason
        self.order = order


@dataclass(frozen=True)
class Holder:
    user_id: UserID
    roles: frozenset[str]
    is_dcc: bool


def holder_for(user_id: UserID) -> Holder:
    """The User ID with its roles, as the issuance policy sees it."""
    return Holder(user_id=user_id, roles=frozenset(r.role for r in user_id.roles.all()),
                  is_dcc=user_id.party.kind == PartyKind.DCC)


def policy_roles(holder: Holder) -> set[str]:
    roles = set(holder.roles)
    if holder.is_dcc:
        roles.add(DCC_POLICY_ROLE)
    return roles


def check_policy(holder: Holder, kind: str) -> None:
    """Raise IssuanceRefused unless the issuance policy lets this User ID hold ``kind``."""
    if kind not in CertificateKind.values:
        raise IssuanceRefused(f"{kind!r} is not a certificate kind (one of {', '.join(CertificateKind.values)})",
                              code="invalid-kind")
    solr = solr_role_code()
    if solr in holder.roles and kind != CertificateKind.XML_SIGNING:
        raise IssuanceRefused(
            f"User ID {holder.user_id.eui} holds the SoLR Contingency role ({solr}): it may hold XML signing "
            f"certificates only, never {CertificateKind(kind).label} certificates (MP134B business requirement 2)",
            code="solr-xml-signing-only",
        )
    roles = policy_roles(holder)
    if not roles:
        raise IssuanceRefused(f"User ID {holder.user_id.eui} holds no DUIS User Role, so it may hold no certificate",
                              code="no-duis-role")
    if not IssuancePolicy.objects.filter(role__in=roles, kind=kind).exists():
        raise IssuanceRefused(
            f"the issuance policy lets none of the roles of User ID {holder.user_id.eui} "
            f"({', '.join(sorted(roles))}) hold {CertificateKind(kind).label} certificates",
            code="not-in-policy",
        )


def role_code_for(holder: Holder, kind: str) -> int:
    """The OU of the certificate: 87 XML signing (89 for the DCC), else the remote-party role."""
    if kind == CertificateKind.XML_SIGNING:
        return ROLE_DSP_XML_SIGN if holder.is_dcc else ROLE_XML_SIGN
    if holder.is_dcc:
        return ROLE_ACCESS_CONTROL_BROKER
    if holder.roles & SUPPLIER_ROLES:
        return ROLE_SUPPLIER
    if holder.roles & NETWORK_ROLES:
        return ROLE_NETWORK_OPERATOR
    return ROLE_OTHER


def _find_user_id(eui: str) -> UserID:
    try:
        canonical = parse_eui64(eui)
    except InvalidEUI64 as exc:
        raise IssuanceRefused(str(exc), code="invalid-eui") from None
    user_id = UserID.objects.select_related("party").filter(eui=canonical).first()
    if user_id is None:
        raise IssuanceRefused(f"User ID {canonical} is not registered", code="unknown-user-id")
    return user_id


def order_certificate(user_id: UserID | str, kind: str, csr: bytes | str | x509.CertificateSigningRequest, *,
                      requested_by: str | None = None, validity_days: int | None = None) -> CertificateOrder:
    """Order a certificate for ``user_id`` (a UserID or its EUI) from a CSR. Always returns the saved order:
    ``order.status`` is 'issued' (``order.certificate``) or 'refused' (``order.reason``).
    """
    actor = requested_by or audit.current_actor()
    eui_text = user_id.eui if isinstance(user_id, UserID) else str(user_id)
    csr_pem = ""
    with transaction.atomic():
        order = CertificateOrder(requested_by=actor[:150], requested_eui=eui_text[:64], kind=str(kind)[:20])
        try:
            if isinstance(csr, x509.CertificateSigningRequest):
                request = csr
            else:
                request = load_csr(csr)
            csr_pem = request.public_bytes(Encoding.PEM).decode()
            uid = user_id if isinstance(user_id, UserID) else _find_user_id(eui_text)
            order.user_id = uid
            order.requested_eui = uid.eui
            if uid.status != UserIDStatus.ACTIVE:
                raise IssuanceRefused(f"User ID {uid.eui} is {uid.get_status_display().lower()}, not active",
                                      code="user-id-not-active")
            holder = holder_for(uid)
            check_policy(holder, kind)
            public_key = checked_public_key(request)
            days = _validity_days(validity_days)
            cert = _issue(holder, kind, public_key, days)
        except (IssuanceRefused, CSRRejected, ca_module.CANotReady, KeyStoreError, ValueError) as exc:
            # ValueError covers profile.ProfileError and malformed input: every failed order leaves a record.
            order.status = CertificateOrder.Status.REFUSED
            # The code of a Refusal (IssuanceRefused, CSRRejected, CANotReady, KeyStoreError, ProfileError …);
            # any other ValueError is malformed input with the generic code.
            order.refusal_code = getattr(exc, "code", None) or IssuanceRefused.code
            order.reason = getattr(exc, "message", None) or str(exc)
            order.csr_pem = csr_pem
            order.save()
            audit.write("certificate.refuse", order, actor=actor,
                        after={"user_id": order.requested_eui, "kind": order.kind, "code": order.refusal_code,
                               "reason": order.reason})
            return order
        order.status = CertificateOrder.Status.ISSUED
        order.csr_pem = csr_pem
        order.certificate = cert
        order.save()
        audit.write("certificate.issue", cert, actor=actor, after={
            "order": order.pk, "user_id": uid.eui, "kind": cert.kind, "serial": cert.serial,
            "issuer": cert.issuer_name, "subject": cert.subject_name, "not_after": cert.not_after,
            "fingerprint": cert.fingerprint,
        })
        return order


def issue_certificate(user_id: UserID | str, kind: str, csr, **kwargs):
    """order_certificate, raising IssuanceRefused (with the saved order) instead of returning a refusal."""
    order = order_certificate(user_id, kind, csr, **kwargs)
    if not order.issued:
        raise IssuanceRefused(order.reason, order, code=order.refusal_code)
    return order.certificate


def _validity_days(validity_days) -> int:
    """The requested validity in days (default SMKI_CERT_VALIDITY_DAYS); it must be a whole number above 0."""
    if validity_days is None:
        return conf.get("SMKI_CERT_VALIDITY_DAYS")
    if isinstance(validity_days, bool) or not isinstance(validity_days, int) or validity_days <= 0:
        raise IssuanceRefused(f"the validity must be a whole number of days above 0, not {validity_days!r}",
                              code="invalid-validity")
    return validity_days


def _issue(holder: Holder, kind: str, public_key, days: int):
    issuing = ca_module.issuing_ca()
    issuer_key = ca_module.private_key(issuing)
    cert = profile.build_org_certificate(
        eui=holder.user_id.eui, role_code=role_code_for(holder, kind), common_name=holder.user_id.party.short_name,
        public_key=public_key, key_agreement=kind == CertificateKind.KEY_AGREEMENT,
        issuer_cert=issuing.x509(), issuer_key=issuer_key, not_before=timezone.now(),
        days=days,
    )
    row = new_certificate(cert, ca=issuing, chain_verified=True, user_id=holder.user_id)
    row.save()
    return row
