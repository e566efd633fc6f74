"""Importing the DCC Boxed ZAZ1 test PKI, and resolving signers by (issuer, serial)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from django.core.management import call_command

from pki.importer import import_paths
from pki.models import Certificate, CertificateAuthority
from pki.repository import SignerRejected, resolve_signer

pytestmark = pytest.mark.django_db

KEYS = "dccboxed-signing-tool/keys"
KEYSTORE = "dccboxed-keystore/keystore.json"
Z1_CA = "duis-templates/extracted-certs/Z1-issuing-CA_CN-Z1_OU-07.pem"
SUPPLIER_XML_SIGN = 27572613927499351639968579586655397031
DSP_XML_SIGN = 167048897159233642262001557408276884033
DSP_PRE_141 = 50669612984035780968362471400449834504
DSP_2025 = 20315062944123339095836004026371736578
SUPPLIER_DS_2015 = 105986833131214866166891566273223584671
SUPPLIER_KA_2015 = 78705613441713544701898588866012598037


@pytest.fixture
def zaz1(db, vectors_dir, capsys):
    call_command("pki_import", "--trust-unchained", str(vectors_dir / Z1_CA), str(vectors_dir / KEYS),
                 str(vectors_dir / KEYSTORE))
    return capsys.readouterr().out


def test_xml_sign_certificates_resolve_by_issuer_and_serial(zaz1):
    cert = resolve_signer("CN=Z1,OU=07", SUPPLIER_XML_SIGN)
    assert cert.subject_eui == "90-B3-D5-1F-30-01-00-00"
    assert cert.kind == "xml-signing" and cert.role_code == 0x87 and cert.key_usage == "digitalSignature"
    assert cert.x509().serial_number == SUPPLIER_XML_SIGN
    # Names are compared as names: spacing and case of the RFC 2253 text do not matter.
    assert resolve_signer("CN=Z1, OU=07", SUPPLIER_XML_SIGN) == cert
    assert resolve_signer("cn=z1,ou=07", SUPPLIER_XML_SIGN) == cert
    network_operator = resolve_signer("CN=Z1,OU=07", 40938316298935008147424226388667426413)
    assert network_operator.subject_eui == "90-B3-D5-1F-30-02-00-00"
    other_user = resolve_signer("CN=Z1,OU=07", 37250744094852421200045328576547436839)
    assert other_user.subject_eui == "00-DB-12-34-56-78-00-04"


def test_dsp_certificates_resolve(zaz1):
    dsp = resolve_signer("CN=Z1,OU=07", DSP_XML_SIGN)
    assert dsp.subject_eui == "90-B3-D5-1F-30-00-00-02" and dsp.role_code == 0x89 and dsp.kind == "xml-signing"
    pre = resolve_signer("CN=Z1,OU=07", DSP_PRE_141)
    assert pre.role_code == 0x89 and pre.kind == "xml-signing"  # OU "137", decimal, before SMKI 1.4.1
    assert "OU=137" in pre.subject_name
    new = resolve_signer("CN=Z1,OU=07", DSP_2025, at=datetime(2026, 1, 1, tzinfo=UTC))
    assert new.chain_verified and new.ca.subject_name == "CN=Z1,OU=07"


def test_chain_is_checked_where_possible(zaz1):
    assert Certificate.objects.get(serial=str(SUPPLIER_DS_2015)).chain_verified
    # The xml-sign certs carry the Z1 name but not its signature: imported with --trust-unchained only,
    # trusted by lookup, and the row says so.
    xml_sign = Certificate.objects.get(serial=str(SUPPLIER_XML_SIGN))
    assert not xml_sign.chain_verified and xml_sign.trusted_unchained
    assert not Certificate.objects.get(serial=str(SUPPLIER_DS_2015)).trusted_unchained
    assert CertificateAuthority.objects.filter(level="external", subject_name="CN=Z1,OU=07").count() == 1


def test_unparseable_and_key_files_are_skipped_with_a_message(zaz1):
    assert "skipped mdr-ds: cannot be parsed" in zaz1
    assert "skipped mdr-ka: cannot be parsed" in zaz1
    assert "a private key, not a certificate" in zaz1
    assert not Certificate.objects.filter(label__startswith="mdr").exists()


def test_keystore_json_brings_key_agreement_and_other_issuers(zaz1):
    ka = Certificate.objects.get(serial=str(SUPPLIER_KA_2015))
    assert ka.kind == "key-agreement" and ka.key_usage == "keyAgreement" and ka.role_code == 2
    other = Certificate.objects.get(serial="90325540810335457430706996363193666853")
    assert other.issuer_name.startswith("CN=OB") and other.role_code == 0x7F and not other.chain_verified


def test_import_is_idempotent(zaz1, vectors_dir):
    count = Certificate.objects.count()
    report = import_paths([vectors_dir / KEYS, vectors_dir / KEYSTORE])
    assert report.imported == [] and len(report.already) > 30
    assert Certificate.objects.count() == count


def test_rejections_say_why(zaz1):
    with pytest.raises(SignerRejected) as caught:
        resolve_signer("CN=Z1,OU=07", 1234567890)
    assert caught.value.code == "unknown-certificate"
    with pytest.raises(SignerRejected) as caught:
        resolve_signer("CN=U1,OU=07", SUPPLIER_XML_SIGN)
    assert caught.value.code == "issuer-mismatch"
    with pytest.raises(SignerRejected) as caught:
        resolve_signer("CN=Z1,OU=07", SUPPLIER_DS_2015)
    assert caught.value.code == "expired"  # 2015–2025
    at_2020 = datetime(2020, 1, 1, tzinfo=UTC)
    assert resolve_signer("CN=Z1,OU=07", SUPPLIER_DS_2015, at=at_2020, kinds=("digital-signing",))
    with pytest.raises(SignerRejected) as caught:
        resolve_signer("CN=Z1,OU=07", SUPPLIER_DS_2015, at=at_2020)
    assert caught.value.code == "wrong-kind"
    with pytest.raises(SignerRejected) as caught:
        resolve_signer("CN=Z1,OU=07", SUPPLIER_KA_2015, at=at_2020, kinds=("key-agreement",))
    assert caught.value.code == "no-digital-signature"
    with pytest.raises(SignerRejected) as caught:
        resolve_signer("CN=Z1,OU=07", SUPPLIER_XML_SIGN, at=datetime(2017, 1, 1, tzinfo=UTC))
    assert caught.value.code == "not-yet-valid"


def test_lookup_is_one_query(zaz1, django_assert_num_queries):
    resolve_signer("CN=Z1,OU=07", SUPPLIER_XML_SIGN).x509()
    with django_assert_num_queries(1):
        cert = resolve_signer("CN=Z1,OU=07", SUPPLIER_XML_SIGN)
        cert.x509()
        cert.public_key()


def test_imported_certificate_links_to_a_registered_user_id(db, vectors_dir, supplier_uid):
    import_paths([vectors_dir / KEYS / "xml-sign-90B3D51F30010000-ds.pem"], trust_unchained=True)
    assert resolve_signer("CN=Z1,OU=07", SUPPLIER_XML_SIGN).user_id == supplier_uid


def test_device_certificates_are_not_taken_for_organisation_certificates(db, vectors_dir):
    report = import_paths([vectors_dir / "gbcs-parser/keystore/00db1234567890a0-ds.pem"])
    assert report.imported == []
    assert "Device Certificate" in report.skipped[0][1]


def test_signer_checks_of_a_fresh_row_need_no_query_and_no_parsing(zaz1, django_assert_num_queries):
    """Beyond the one query: name matching, the checks and the parsed X.509 of a fresh row happen in memory,
    and the DER is parsed once per process (no wall-clock assertion: CI machines vary)."""
    from django.utils import timezone

    from pki.models import _parse_der
    from pki.names import name_key
    from pki.repository import check_signer

    row = resolve_signer("CN=Z1,OU=07", SUPPLIER_XML_SIGN)
    row.x509()
    fields = {f.attname: getattr(row, f.attname) for f in Certificate._meta.concrete_fields}
    misses = _parse_der.cache_info().misses
    with django_assert_num_queries(0):
        for _ in range(50):
            fresh = Certificate(**fields)  # what the query hands back on each request
            assert fresh.issuer_key == name_key("CN=Z1,OU=07")
            check_signer(fresh, at=timezone.now())
            fresh.public_key()
    assert _parse_der.cache_info().misses == misses


def test_import_runs_the_issuance_policy_for_a_registered_user_id(db, tmp_path, external_pki, srp_solr_uid):
    """MP134B BR2: a SoLR Contingency User ID may hold XML signing certificates only, imported or issued."""
    from portal.models import AuditRecord

    digital = external_pki.issue(srp_solr_uid.eui, 0x02)
    key_agreement = external_pki.issue(srp_solr_uid.eui, 0x02, key_agreement=True)
    xml = external_pki.issue(srp_solr_uid.eui, 0x87)
    path = external_pki.write(tmp_path, "srp", external_pki.cert, digital, key_agreement, xml)
    report = import_paths([path])
    assert [c.serial for c in report.imported] == [str(xml.serial_number)]
    assert len(report.skipped) == 2
    assert not Certificate.objects.filter(serial=str(digital.serial_number)).exists()
    with pytest.raises(SignerRejected) as caught:
        resolve_signer("CN=XT1,OU=07", digital.serial_number, kinds=("digital-signing",))
    assert caught.value.code == "unknown-certificate"
    refused = AuditRecord.objects.filter(action="certificate.import_refuse")
    assert refused.count() == 2
    assert {r.after["serial"] for r in refused} == {str(digital.serial_number), str(key_agreement.serial_number)}
    assert {r.after["code"] for r in refused} == {"solr-xml-signing-only"}


def test_a_certificate_naming_our_issuing_ca_without_its_signature_is_refused(smki, tmp_path, capsys):
    """A forgery: our CA's name, another key. Refused even with --trust-unchained, never a signer."""
    from pki.profile import build_org_certificate
    from portal.models import AuditRecord
    from tests.helpers.pki import p256_key

    forger = p256_key()
    issuing = smki.x509()
    forged = build_org_certificate(
        eui="90-B3-D5-1F-30-01-00-00", role_code=0x87, common_name="forged", public_key=p256_key().public_key(),
        key_agreement=False, issuer_cert=issuing, issuer_key=forger, not_before=issuing.not_valid_before_utc,
        days=365,
    )
    path = tmp_path / "forged.pem"
    path.write_bytes(forged.public_bytes(Encoding.PEM))
    call_command("pki_import", "--trust-unchained", str(path))
    out = capsys.readouterr().out
    assert "skipped forged: a forgery" in out and "this service's own CAs" in out
    assert not Certificate.objects.filter(serial=str(forged.serial_number)).exists()
    with pytest.raises(SignerRejected) as caught:
        resolve_signer(smki.subject_name, forged.serial_number)
    assert caught.value.code == "unknown-certificate"
    [record] = AuditRecord.objects.filter(action="certificate.import_refuse")
    assert record.after["code"] == "forged-own-ca"


def test_a_ca_certificate_with_our_ca_name_is_not_registered(smki, tmp_path):
    from pki.profile import build_ca_certificate
    from tests.helpers.pki import p256_key

    key = p256_key()
    fake = build_ca_certificate(subject=smki.x509().subject, public_key=key.public_key(), issuer_cert=None,
                                issuer_key=key, path_length=0, not_before=smki.not_before, days=365)
    path = tmp_path / "fake-ca.pem"
    path.write_bytes(fake.public_bytes(Encoding.PEM))
    report = import_paths([path], trust_unchained=True)
    from portal.models import AuditRecord

    assert report.authorities == [] and len(report.skipped) == 1
    [record] = AuditRecord.objects.filter(action="certificate.import_refuse")
    assert record.after["code"] == "own-ca-name-taken"
    assert CertificateAuthority.objects.filter(subject_key=smki.subject_key).count() == 1


def test_unchained_certificates_need_the_explicit_flag(db, vectors_dir, capsys):
    from portal.models import AuditRecord

    path = str(vectors_dir / KEYS / "xml-sign-90B3D51F30010000-ds.pem")
    call_command("pki_import", path)
    out = capsys.readouterr().out
    assert "chains to no known CA" in out and "give --trust-unchained" in out
    assert not Certificate.objects.exists()

    call_command("pki_import", "--trust-unchained", path)
    row = Certificate.objects.get(serial=str(SUPPLIER_XML_SIGN))
    assert row.trusted_unchained and not row.chain_verified
    record = AuditRecord.objects.get(action="certificate.import")
    assert record.after["trusted_unchained"] is True and record.actor == "system:pki_import --trust-unchained"
    assert resolve_signer("CN=Z1,OU=07", SUPPLIER_XML_SIGN) == row


def test_a_certificate_forging_an_external_ca_needs_the_flag(db, tmp_path, external_pki):
    """The issuer name of a registered external CA but not its signature (the ZAZ1 xml-sign certificates
    against the Z1 CA): refused by default, accepted as unchained with --trust-unchained, and recorded."""
    from portal.models import AuditRecord
    from tests.helpers.pki import p256_key

    odd = external_pki.issue("90-B3-D5-1F-30-01-00-00", 0x87, issuer_key=p256_key())
    ca_path = external_pki.write(tmp_path, "ca", external_pki.cert)
    odd_path = external_pki.write(tmp_path, "odd", odd)
    report = import_paths([ca_path, odd_path])
    assert report.imported == [] and len(report.skipped) == 1
    refused = AuditRecord.objects.get(action="certificate.import_refuse")
    assert refused.after["code"] == "issuer-signature-mismatch"
    report = import_paths([odd_path], trust_unchained=True)
    [row] = report.imported
    assert row.trusted_unchained and not row.chain_verified
    after = AuditRecord.objects.get(action="certificate.import").after
    assert "does not verify" in after["issuer_signature_mismatch"]


def test_an_untrusted_unchained_row_never_signs_until_imported_with_the_flag(db, vectors_dir):
    import_paths([vectors_dir / KEYS / "xml-sign-90B3D51F30010000-ds.pem"], trust_unchained=True)
    Certificate.objects.update(trusted_unchained=False)  # e.g. a row imported before the flag existed
    with pytest.raises(SignerRejected) as caught:
        resolve_signer("CN=Z1,OU=07", SUPPLIER_XML_SIGN)
    assert caught.value.code == "untrusted-issuer"
    report = import_paths([vectors_dir / KEYS / "xml-sign-90B3D51F30010000-ds.pem"], trust_unchained=True)
    assert [c.serial for c in report.trusted] == [str(SUPPLIER_XML_SIGN)]
    assert resolve_signer("CN=Z1,OU=07", SUPPLIER_XML_SIGN).trusted_unchained


@pytest.mark.parametrize("defect", ["p384", "sha384", "ku-not-critical", "two-bits"])
def test_import_checks_the_smki_profile(db, tmp_path, external_pki, defect):
    from datetime import timedelta

    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from django.utils import timezone

    from pki.profile import key_identifier, org_subject

    key = ec.generate_private_key(ec.SECP384R1() if defect == "p384" else ec.SECP256R1())
    now = timezone.now()
    usage = cx509.KeyUsage(digital_signature=True, content_commitment=defect == "two-bits", key_encipherment=False,
                           data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                           encipher_only=False, decipher_only=False)
    cert = (
        cx509.CertificateBuilder().subject_name(org_subject("90-B3-D5-1F-30-01-00-00", 0x87, "x"))
        .issuer_name(external_pki.cert.subject).public_key(key.public_key()).serial_number(cx509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=30))
        .add_extension(usage, critical=defect != "ku-not-critical")
        .add_extension(cx509.SubjectKeyIdentifier(key_identifier(key.public_key())), critical=False)
        .sign(external_pki.key, hashes.SHA384() if defect == "sha384" else hashes.SHA256())
    )
    report = import_paths([external_pki.write(tmp_path, "ca", external_pki.cert),
                           external_pki.write(tmp_path, "bad", cert)], trust_unchained=True)
    assert report.imported == []
    assert "not an SMKI Organisation Certificate" in report.skipped[0][1]
