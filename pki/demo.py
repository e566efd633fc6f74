"""Demo certificates for seed_demo (issue 8): keys and certificates the demo SRP, the failed Suppliers and the
DCC sign with. Idempotent: a certificate whose files are in ``out_dir`` and whose row is in the repository is
reused, so a second run issues nothing.

Manifest entries (docs/pki.md): ``{"user_id", "kind", "serial", "issuer", "cert", "key"}``.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings

from portal import audit
from portal.eui import eui64_hex, parse_eui64
from portal.files import write_atomically
from portal.models import Party, PartyKind, UserID, solr_role_code

from . import ca as ca_module
from . import profile
from .csr import make_csr
from .dcc_identity import DCC_XML_SIGNING_KEY_REF
from .issuance import IssuanceRefused, order_certificate
from .keystore import get_keystore
from .models import Certificate, CertificateKind

ACTOR = "system:seed_demo"


def demo_targets() -> list[tuple[UserID, str]]:
    """(User ID, kind) pairs the demo needs, sorted by EUI then kind."""
    targets: dict[tuple[str, str], UserID] = {}
    for uid in UserID.objects.active().with_role(solr_role_code()).select_related("party"):
        targets[(uid.eui, CertificateKind.XML_SIGNING)] = uid
    failed = UserID.objects.filter(party__in=Party.objects.licence_revoked())
    for uid in failed.select_related("party"):
        targets[(uid.eui, CertificateKind.DIGITAL_SIGNING)] = uid
    dcc = UserID.objects.select_related("party").filter(eui=parse_eui64(settings.DCC_USER_ID)).first()
    if dcc is not None:
        targets[(dcc.eui, CertificateKind.XML_SIGNING)] = dcc
    return [(targets[key], key[1]) for key in sorted(targets)]


def _reusable(cert_path: Path, key_path: Path) -> Certificate | None:
    if not (cert_path.exists() and key_path.exists()):
        return None
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (ValueError, TypeError):
        return None
    if cert.public_key() != key.public_key():
        return None
    from .store import fingerprint

    row = Certificate.objects.filter(fingerprint=fingerprint(cert)).first()
    if row is None or not row.is_valid() or row.revoked_at is not None:
        return None  # expired, revoked or scheduled for revocation: issue a fresh one
    return row


def _ensure_dcc_key(key_path: Path) -> None:
    store = get_keystore()
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    try:
        if store.load_private_key(DCC_XML_SIGNING_KEY_REF).public_key() == key.public_key():
            return
    except Exception:  # noqa: BLE001 - missing or unreadable: store it again
        pass
    store.store_private_key(DCC_XML_SIGNING_KEY_REF, key, overwrite=True)


# Demo private keys are written unencrypted beside the manifest: their names say so (issue 7 point 3), so that
# nobody takes one for a production key, and the manifest marks them with "demo_key": true.
DEMO_KEY_SUFFIX = ".DEMO-ONLY-unencrypted.key.pem"


def _entry(row: Certificate, cert_path: Path, key_path: Path) -> dict:
    return {"user_id": row.subject_eui, "kind": row.kind, "serial": row.serial, "issuer": row.issuer_name,
            "cert": str(cert_path.resolve()), "key": str(key_path.resolve()), "demo_key": True}


def seed_certificates(out_dir: Path) -> list[dict]:
    """Run pki_init if needed, issue the demo certificates that are missing, write their key and certificate
    PEM files into ``out_dir`` and return the manifest entries."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    with audit.acting_as(ACTOR):
        ca_module.init_hierarchy()
        for uid, kind in demo_targets():
            stem = f"{eui64_hex(uid.eui)}-{kind}"
            cert_path, key_path = out_dir / f"{stem}.cert.pem", out_dir / f"{stem}{DEMO_KEY_SUFFIX}"
            row = _reusable(cert_path, key_path)
            if row is None:
                key = profile.generate_key()
                order = order_certificate(uid, kind, make_csr(key, uid.party.short_name), requested_by=ACTOR)
                if not order.issued:
                    raise IssuanceRefused(order.reason, order, code=order.refusal_code)
                row = order.certificate
                write_atomically(key_path, key.private_bytes(serialization.Encoding.PEM,
                                                             serialization.PrivateFormat.PKCS8,
                                                             serialization.NoEncryption()), mode=0o600)
                write_atomically(cert_path, row.pem().encode(), mode=0o644)
                if uid.party.kind == PartyKind.DCC and kind == CertificateKind.XML_SIGNING:
                    get_keystore().store_private_key(DCC_XML_SIGNING_KEY_REF, key, overwrite=True)
            elif uid.party.kind == PartyKind.DCC and kind == CertificateKind.XML_SIGNING:
                _ensure_dcc_key(key_path)
            entries.append(_entry(row, cert_path, key_path))
    return entries
