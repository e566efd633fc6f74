"""pki.demo.seed_certificates: the demo world's keys and certificates, idempotently."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509.oid import NameOID

from pki.dcc_identity import DCC_XML_SIGNING_KEY_REF, dcc_signing_certificate, dcc_signing_identity
from pki.demo import seed_certificates
from pki.keystore import get_keystore
from pki.models import Certificate, CertificateAuthority
from pki.repository import resolve_signer
from portal.demo import seed_registry
from portal.models import AuditRecord

pytestmark = pytest.mark.django_db

SRP_SOLR = "90-B3-D5-1F-30-20-00-01"
DCC = "90-B3-D5-1F-30-00-00-02"
FAILED_SUPPLIER_UIDS = {"90-B3-D5-1F-30-10-01-01", "90-B3-D5-1F-30-10-01-02",
                        "90-B3-D5-1F-30-10-02-01", "90-B3-D5-1F-30-10-02-02"}


@pytest.fixture
def demo(keystore_dir, tmp_path, settings):
    seed_registry()
    return tmp_path / "demo", seed_certificates(tmp_path / "demo")


def test_entries(demo):
    out, entries = demo
    pairs = {(e["user_id"], e["kind"]) for e in entries}
    assert pairs == {(SRP_SOLR, "xml-signing"), (DCC, "xml-signing")} | {
        (uid, "digital-signing") for uid in FAILED_SUPPLIER_UIDS}
    assert CertificateAuthority.objects.filter(level="issuing").count() == 1
    for entry in entries:
        assert set(entry) >= {"user_id", "kind", "serial", "cert", "key"}
        cert = x509.load_pem_x509_certificate(Path(entry["cert"]).read_bytes())
        key = load_pem_private_key(Path(entry["key"]).read_bytes(), password=None)
        assert cert.public_key() == key.public_key()
        assert str(cert.serial_number) == entry["serial"]
        assert Path(entry["key"]).stat().st_mode & 0o077 == 0
        assert Path(entry["cert"]).parent == out
        row = Certificate.objects.get(serial=entry["serial"])
        assert row.subject_eui == entry["user_id"] and row.kind == entry["kind"]


def test_the_dcc_signs_with_ou_89_and_its_key_is_in_the_store(demo):
    _, entries = demo
    entry = next(e for e in entries if e["user_id"] == DCC)
    cert = resolve_signer(entry["issuer"], int(entry["serial"]))
    assert cert.x509().subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "89"
    assert dcc_signing_certificate() == cert
    assert get_keystore().load_private_key(DCC_XML_SIGNING_KEY_REF).public_key() == cert.public_key()
    signing_cert, key = dcc_signing_identity()
    assert signing_cert == cert and key.public_key() == cert.public_key()


def test_a_revoked_demo_certificate_is_not_reused(demo):
    from pki.revocation import revoke_certificate

    out, entries = demo
    entry = next(e for e in entries if e["user_id"] == SRP_SOLR)
    revoke_certificate(Certificate.objects.get(serial=entry["serial"]), reason="test", decided_by="dcc-op")
    again = next(e for e in seed_certificates(out) if e["user_id"] == SRP_SOLR)
    assert again["serial"] != entry["serial"]


def test_srp_xml_and_supplier_ds_profiles(demo):
    _, entries = demo
    solr = next(e for e in entries if e["user_id"] == SRP_SOLR)
    assert resolve_signer(solr["issuer"], int(solr["serial"])).role_code == 0x87
    for entry in entries:
        if entry["kind"] == "digital-signing":
            cert = resolve_signer(entry["issuer"], int(entry["serial"]), kinds=("digital-signing",))
            assert cert.role_code == 0x02


def test_second_run_issues_nothing(demo):
    out, entries = demo
    certs, audits = Certificate.objects.count(), AuditRecord.objects.count()
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    assert seed_certificates(out) == entries
    assert Certificate.objects.count() == certs and AuditRecord.objects.count() == audits
    assert {p.name: p.read_bytes() for p in out.iterdir()} == files


def test_missing_files_are_reissued(demo):
    out, entries = demo
    Path(entries[0]["key"]).unlink()
    again = seed_certificates(out)
    assert again[0]["serial"] != entries[0]["serial"]
    assert again[1:] == entries[1:]
