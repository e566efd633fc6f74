"""Issuance: the SMKI Organisation Certificate profile, the issuance policy (MP134B requirement 2) and CSR checks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID
from django.core.exceptions import ValidationError

from pki.issuance import issue_certificate, order_certificate
from pki.models import CertificateOrder, IssuancePolicy
from pki.profile import X500_UNIQUE_IDENTIFIER
from portal.models import AuditRecord, UserIDStatus, solr_role_code
from tests.helpers.pki import csr_for, p256_key

pytestmark = pytest.mark.django_db

VECTOR_XML_SIGN = "dccboxed-signing-tool/keys/xml-sign-90B3D51F30010000-ds.pem"


def issue(uid, kind, csr=None, **kwargs):
    order = order_certificate(uid, kind, csr if csr is not None else csr_for(), requested_by="alice", **kwargs)
    assert order.status == CertificateOrder.Status.ISSUED, order.reason
    return order.certificate


def refused(uid, kind, csr=None) -> str:
    """The refusal code of an order that must be refused; the saved order and its audit record carry it."""
    order = order_certificate(uid, kind, csr if csr is not None else csr_for(), requested_by="alice")
    assert order.status == CertificateOrder.Status.REFUSED
    assert order.certificate is None and order.reason
    assert CertificateOrder.objects.filter(pk=order.pk, status="refused", refusal_code=order.refusal_code).exists()
    record = AuditRecord.objects.filter(action="certificate.refuse").order_by("-pk").first()
    assert record.after["code"] == order.refusal_code
    return order.refusal_code


@pytest.mark.parametrize("kind", ["digital-signing", "key-agreement"])
def test_solr_contingency_user_id_is_refused_anything_but_xml_signing(smki, srp_solr_uid, kind):
    assert refused(srp_solr_uid, kind) == "solr-xml-signing-only"
    assert not srp_solr_uid.certificates.exists()
    assert AuditRecord.objects.filter(action="certificate.refuse").exists()


def test_solr_rule_holds_even_if_the_policy_data_is_widened(smki, srp_solr_uid):
    with pytest.raises(ValidationError):
        IssuancePolicy.objects.create(role=solr_role_code(), kind="digital-signing")
    # Even a row slipped past the model (bulk insert) does not open Digital Signing to the role.
    IssuancePolicy.objects.bulk_create([IssuancePolicy(role=solr_role_code(), kind="digital-signing")])
    assert refused(srp_solr_uid, "digital-signing") == "solr-xml-signing-only"


def test_issued_xml_signing_certificate_has_the_smki_profile(smki, srp_solr_uid, vectors_dir):
    key = p256_key()
    row = issue(srp_solr_uid, "xml-signing", csr_for(key, "someone-else"))
    cert = row.x509()
    # Subject from the registry, never from the CSR.
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "shared-resource"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "87"
    uid_attr = cert.subject.get_attributes_for_oid(X500_UNIQUE_IDENTIFIER)[0]
    assert uid_attr.value == b"\x00" + bytes.fromhex("90B3D51F30200001")
    assert bytes.fromhex("060355042d03090090b3d51f30200001") in cert.subject.public_bytes()
    assert cert.public_key() == key.public_key()
    assert row.subject_eui == "90-B3-D5-1F-30-20-00-01"
    assert row.role_code == 0x87 and row.kind == "xml-signing" and row.user_id == srp_solr_uid
    # Key Usage: critical, digitalSignature only.
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical
    assert ku.value.digital_signature and not ku.value.key_agreement
    assert not any([ku.value.content_commitment, ku.value.key_encipherment, ku.value.data_encipherment,
                    ku.value.key_cert_sign, ku.value.crl_sign])
    assert cert.extensions.get_extension_for_oid(x509.oid.ExtensionOID.KEY_USAGE).value.public_bytes() == \
        bytes.fromhex("03020780")
    # SKI / AKI (8 bytes, as in the SMKI vectors), policies critical, no EKU.
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    ca_ski = smki.x509().extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert len(ski) == 8 and aki == ca_ski
    assert cert.extensions.get_extension_for_class(x509.CertificatePolicies).critical
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    # ecdsa-with-SHA256, a 16-byte positive serial, and it chains: issuing CA → root.
    assert cert.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA256
    assert 0 < cert.serial_number < 2**127 and cert.serial_number >= 2**120
    cert.verify_directly_issued_by(smki.x509())
    smki.x509().verify_directly_issued_by(smki.parent.x509())
    assert smki.x509().signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA256
    assert isinstance(smki.x509().public_key().curve, ec.SECP256R1)
    assert AuditRecord.objects.filter(action="certificate.issue", subject_id=str(row.pk)).exists()


def test_x500_unique_identifier_is_encoded_like_the_vector_certificates(smki, supplier_uid, vectors_dir):
    ours = issue(supplier_uid, "xml-signing").x509()
    theirs = x509.load_pem_x509_certificate((vectors_dir / VECTOR_XML_SIGN).read_bytes())

    def uid_rdn_der(cert):
        rdn = next(r for r in cert.subject.rdns if any(a.oid == X500_UNIQUE_IDENTIFIER for a in r))
        return x509.Name([rdn]).public_bytes()

    assert uid_rdn_der(ours) == uid_rdn_der(theirs)
    assert bytes.fromhex("03090090B3D51F30010000") in uid_rdn_der(ours)


def test_supplier_may_hold_all_three_kinds(smki, supplier_uid):
    ds = issue(supplier_uid, "digital-signing").x509()
    ka = issue(supplier_uid, "key-agreement").x509()
    xml = issue(supplier_uid, "xml-signing").x509()
    assert ds.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "02"
    assert xml.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "87"
    ka_usage = ka.extensions.get_extension_for_class(x509.KeyUsage)
    assert ka_usage.critical and ka_usage.value.key_agreement and not ka_usage.value.digital_signature
    assert ka_usage.value.public_bytes() == bytes.fromhex("03020308")


def test_policy_is_data(smki, supplier_uid):
    IssuancePolicy.objects.filter(role="IS", kind="digital-signing").delete()
    assert refused(supplier_uid, "digital-signing") == "not-in-policy"


def test_validity_comes_from_settings(smki, supplier_uid, settings):
    settings.SMKI_CERT_VALIDITY_DAYS = 30
    cert = issue(supplier_uid, "xml-signing").x509()
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=30)


def test_csr_with_a_bad_self_signature_is_refused(smki, supplier_uid):
    der = bytearray(csr_for().public_bytes(Encoding.DER))
    der[-1] ^= 0x01  # the last byte of the signature's s value
    assert refused(supplier_uid, "xml-signing", bytes(der)) == "csr-no-proof-of-possession"


def test_csr_for_a_p384_key_is_refused(smki, supplier_uid):
    assert refused(supplier_uid, "xml-signing", csr_for(ec.generate_private_key(ec.SECP384R1()))) == "key-not-p256"


def test_csr_for_an_rsa_key_is_refused(smki, supplier_uid):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([])).sign(key, hashes.SHA256())
    assert refused(supplier_uid, "xml-signing", csr) == "key-not-p256"


def test_garbage_is_not_a_csr(smki, supplier_uid):
    assert refused(supplier_uid, "xml-signing", b"hello") == "csr-unreadable"


def test_der_and_pem_csrs_are_accepted(smki, supplier_uid):
    csr = csr_for()
    issue(supplier_uid, "xml-signing", csr.public_bytes(Encoding.DER))
    issue(supplier_uid, "key-agreement", csr.public_bytes(Encoding.PEM).decode())


@pytest.mark.parametrize("status", [UserIDStatus.WITHDRAWN, UserIDStatus.SUSPENDED])
def test_inactive_user_id_is_refused(smki, supplier_uid, status):
    supplier_uid.status = status
    supplier_uid.save()
    assert refused(supplier_uid, "xml-signing") == "user-id-not-active"


def test_unknown_user_id_is_refused_and_recorded(smki):
    order = order_certificate("90-B3-D5-1F-30-99-99-99", "xml-signing", csr_for(), requested_by="system:test")
    assert order.status == "refused" and order.refusal_code == "unknown-user-id"
    assert order.requested_by == "system:test" and order.requested_eui == "90-B3-D5-1F-30-99-99-99"


def test_without_a_ca_nothing_is_issued(db, keystore_dir, supplier_uid):
    assert refused(supplier_uid, "xml-signing") == "no-issuing-ca"


def test_pki_issue_command_generates_a_key(smki, supplier_uid, tmp_path):
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from django.core.management import call_command

    key_path, cert_path = tmp_path / "out" / "k.pem", tmp_path / "out" / "c.pem"
    call_command("pki_issue", supplier_uid.eui, "--kind", "digital-signing", "--generate-key", str(key_path),
                 "--out", str(cert_path))
    key = load_pem_private_key(key_path.read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    assert cert.public_key() == key.public_key()
    assert key_path.stat().st_mode & 0o077 == 0
    order = CertificateOrder.objects.get(certificate__serial=str(cert.serial_number))
    assert order.requested_by == "system:pki_issue" and order.kind == "digital-signing"


def test_pki_issue_command_reports_a_refusal(smki, srp_solr_uid, tmp_path):
    from django.core.management import CommandError, call_command

    csr_path = tmp_path / "req.csr"
    csr_path.write_bytes(csr_for().public_bytes(Encoding.PEM))
    with pytest.raises(CommandError, match="^solr-xml-signing-only: "):  # the command prints code: message
        call_command("pki_issue", srp_solr_uid.eui, "--kind", "digital-signing", "--csr", str(csr_path))


def test_solr_role_is_refused_while_the_holder_has_other_certificates(smki):
    """MP134B BR2 after issuance: an SRP User ID holding a Key Agreement certificate (role OU) cannot be given
    the SoLR Contingency role until that certificate is revoked."""
    from pki.revocation import revoke_certificate
    from portal.models import PartyKind, UserRole
    from tests.portal.factories import PartyFactory, UserIDFactory

    srp = PartyFactory(kind=PartyKind.SRP, short_name="srp-two")
    uid = UserIDFactory(eui="90-B3-D5-1F-30-20-00-09", party=srp, roles=["OU"])
    ka = issue_certificate(uid, "key-agreement", csr_for(), requested_by="alice")
    xml = issue_certificate(uid, "xml-signing", csr_for(), requested_by="alice")
    with pytest.raises(ValidationError) as caught:
        UserRole.objects.create(holder=uid, role=solr_role_code())
    message = " ".join(caught.value.messages)
    assert "MP134B business requirement 2" in message and f"serial {ka.serial}" in message
    assert xml.serial not in message
    assert not UserRole.objects.filter(holder=uid, role=solr_role_code()).exists()
    # Changing an existing role into the SoLR one is the same save.
    role = UserRole.objects.get(holder=uid, role="OU")
    role.role = solr_role_code()
    with pytest.raises(ValidationError):
        role.save()

    revoke_certificate(ka, reason="becoming a SoLR Contingency User ID", decided_by="dcc-op")
    UserRole.objects.create(holder=uid, role=solr_role_code())
    assert uid.roles.filter(role=solr_role_code()).exists()


@pytest.mark.parametrize("days", [-5, 0])
def test_pki_issue_with_a_non_positive_validity_is_a_recorded_refusal(smki, supplier_uid, tmp_path, days):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="^invalid-validity: "):
        call_command("pki_issue", supplier_uid.eui, "--generate-key", str(tmp_path / "k.pem"),
                     "--validity-days", str(days))
    order = CertificateOrder.objects.get()
    assert order.status == "refused" and order.refusal_code == "invalid-validity" and order.certificate is None
    assert AuditRecord.objects.filter(action="certificate.refuse").count() == 1
    assert not (tmp_path / "k.pem").exists()


def test_a_key_store_failure_is_a_recorded_refusal(smki, supplier_uid, settings):
    from pathlib import Path

    for path in (Path(settings.DATA_DIR) / "keys").iterdir():  # the CA keys are gone
        path.unlink()
    order = order_certificate(supplier_uid, "xml-signing", csr_for(), requested_by="alice")
    assert order.status == "refused" and order.refusal_code == "key-not-found"
    assert AuditRecord.objects.filter(action="certificate.refuse").exists()


def test_the_admin_shows_the_solr_role_refusal_as_a_form_error(smki, client, django_user_model):
    """The MP134B BR2 role check runs in the admin's form validation: an error on the page, no 500, no role."""
    from portal.models import PartyKind, UserRole
    from tests.portal.factories import PartyFactory, UserIDFactory

    uid = UserIDFactory(eui="90-B3-D5-1F-30-20-00-0A", party=PartyFactory(kind=PartyKind.SRP), roles=["OU"])
    issue_certificate(uid, "key-agreement", csr_for(), requested_by="alice")
    client.force_login(django_user_model.objects.create_superuser("root-admin", "a@example.org", "pw-admin-1!"))
    existing = UserRole.objects.get(holder=uid)
    response = client.post(f"/admin/portal/userid/{uid.pk}/change/", {
        "eui": uid.eui, "party": uid.party_id, "status": "active", "endpoint_url": "",
        "roles-TOTAL_FORMS": "2", "roles-INITIAL_FORMS": "1", "roles-MIN_NUM_FORMS": "0", "roles-MAX_NUM_FORMS": "1000",
        "roles-0-id": existing.pk, "roles-0-holder": uid.pk, "roles-0-role": "OU",
        "roles-1-id": "", "roles-1-holder": uid.pk, "roles-1-role": solr_role_code(),
    })
    assert response.status_code == 200
    assert "MP134B business requirement 2" in response.content.decode()
    assert not UserRole.objects.filter(holder=uid, role=solr_role_code()).exists()
