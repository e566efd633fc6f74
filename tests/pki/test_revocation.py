"""Revocation: immediate and scheduled, a Party's certificates in one action, the CRL, resolve_signer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from django.core.management import call_command
from django.utils import timezone

from pki.crl import current_crl
from pki.issuance import issue_certificate
from pki.models import Certificate
from pki.repository import SignerRejected, resolve_signer, search
from pki.revocation import RevocationError, revoke_certificate, revoke_party_certificates
from portal import audit
from portal.models import AuditRecord, PartyKind
from tests.helpers.pki import csr_for
from tests.portal.factories import PartyFactory, UserIDFactory

pytestmark = pytest.mark.django_db


def xml_cert(uid):
    return issue_certificate(uid, "xml-signing", csr_for(), requested_by="alice")


def assert_revoked(cert, *, reason, decided_by, effective_at=None, actor=None, action="certificate.revoke"):
    """The real outcome of a revocation, everywhere it shows: the row's columns, the audit record, the
    repository's answer (search JSON), the signer path's refusal code and, once in effect, the CRL."""
    row = Certificate.objects.get(pk=cert.pk)
    now = timezone.now()
    assert row.revocation_reason == reason and row.revoked_by == decided_by
    assert row.revocation_recorded_at is not None and row.revocation_recorded_at <= now
    if effective_at is not None:
        assert row.revoked_at == effective_at
    record = AuditRecord.objects.filter(action=action, subject_id=str(row.pk)).order_by("-pk").first()
    assert record is not None
    assert record.after["revocation_reason"] == reason and record.after["revoked_by"] == decided_by
    assert record.after["serial"] == row.serial
    if actor is not None:
        assert record.actor == actor
    in_effect = row.revoked_at <= now
    [found] = search(eui=row.subject_eui).filter(pk=row.pk)
    assert found.status() == ("revoked" if in_effect else "revocation-scheduled")
    assert search(status="revoked").filter(pk=row.pk).exists() == in_effect
    if in_effect:
        with pytest.raises(SignerRejected) as caught:
            resolve_signer(row.issuer_name, int(row.serial), kinds=(row.kind,))
        assert caught.value.code == "revoked"
    else:
        assert resolve_signer(row.issuer_name, int(row.serial), kinds=(row.kind,)) == row
    if row.ca_id is not None:
        listed = {e.serial_number: e.revocation_date_utc for e in x509.load_der_x509_crl(bytes(current_crl().der))}
        if in_effect:
            assert listed[int(row.serial)] == row.revoked_at.replace(microsecond=0)
        else:
            assert int(row.serial) not in listed
    return row


def test_certificate_revoked_a_second_ago_is_refused(smki, srp_solr_uid):
    cert = xml_cert(srp_solr_uid)
    assert resolve_signer(cert.issuer_name, int(cert.serial)) == cert
    when = timezone.now() - timedelta(seconds=1)
    revoke_certificate(cert, reason="key compromise", decided_by="dcc-op", effective_at=when)
    assert_revoked(cert, reason="key compromise", decided_by="dcc-op", effective_at=when)


def test_revocation_records_reason_who_and_audit(smki, srp_solr_uid):
    cert = xml_cert(srp_solr_uid)
    with audit.acting_as("bob"):
        revoke_certificate(cert, reason="ARO request", decided_by="dcc-op")
    cert.refresh_from_db()
    assert cert.revocation_reason == "ARO request" and cert.revoked_by == "dcc-op"
    assert cert.revoked_at <= timezone.now()
    record = AuditRecord.objects.get(action="certificate.revoke", subject_id=str(cert.pk))
    assert record.actor == "bob"
    assert record.before["revoked_at"] is None and record.after["revoked_by"] == "dcc-op"


def test_revocation_needs_a_reason(smki, srp_solr_uid):
    cert = xml_cert(srp_solr_uid)
    with pytest.raises(RevocationError) as caught:
        revoke_certificate(cert, reason=" ", decided_by="dcc-op")
    assert caught.value.code == "revocation-reason-missing"
    cert.refresh_from_db()
    assert cert.revoked_at is None and cert.revocation_reason == "" and cert.revoked_by == ""
    assert not AuditRecord.objects.filter(action__startswith="certificate.revoke").exists()
    assert resolve_signer(cert.issuer_name, int(cert.serial)) == cert


def test_an_effective_time_without_a_zone_is_refused(smki, srp_solr_uid):
    from datetime import datetime

    cert = xml_cert(srp_solr_uid)
    with pytest.raises(RevocationError) as caught:
        revoke_certificate(cert, reason="compromise", decided_by="dcc-op", effective_at=datetime(2026, 1, 1))
    assert caught.value.code == "effective-time-naive"
    cert.refresh_from_db()
    assert cert.revoked_at is None


def test_scheduled_revocation_takes_effect_at_its_time(smki, srp_solr_uid):
    cert = xml_cert(srp_solr_uid)
    effective = timezone.now() + timedelta(hours=1)
    revoke_certificate(cert, reason="licence revoked", decided_by="smki-pma", effective_at=effective)
    assert_revoked(cert, reason="licence revoked", decided_by="smki-pma", effective_at=effective,
                   action="certificate.revoke_scheduled")  # recorded, not yet in effect: accepted, not in the CRL
    assert resolve_signer(cert.issuer_name, int(cert.serial)) == cert  # before: accepted
    assert resolve_signer(cert.issuer_name, int(cert.serial), at=effective - timedelta(seconds=1)) == cert
    with pytest.raises(SignerRejected) as caught:
        resolve_signer(cert.issuer_name, int(cert.serial), at=effective)  # at and after: refused
    assert caught.value.code == "revoked"
    assert AuditRecord.objects.filter(action="certificate.revoke_scheduled").exists()


def test_an_earlier_revocation_wins_a_later_one_does_not_postpone(smki, srp_solr_uid):
    cert = xml_cert(srp_solr_uid)
    soon = timezone.now() + timedelta(hours=1)
    revoke_certificate(cert, reason="first", decided_by="a", effective_at=soon)
    revoke_certificate(cert, reason="later", decided_by="b", effective_at=soon + timedelta(days=1))
    cert.refresh_from_db()
    assert cert.revoked_at == soon and cert.revocation_reason == "first"
    revoke_certificate(cert, reason="now", decided_by="c")
    cert.refresh_from_db()
    assert cert.revoked_at <= timezone.now() and cert.revocation_reason == "now"


def crl_serials(der: bytes) -> set[int]:
    return {entry.serial_number for entry in x509.load_der_x509_crl(der)}


def test_crl_lists_exactly_the_effective_revocations(smki, supplier_uid):
    kept, revoked, scheduled = (xml_cert(supplier_uid) for _ in range(3))
    revoke_certificate(revoked, reason="compromise", decided_by="dcc-op")
    later = timezone.now() + timedelta(hours=2)
    revoke_certificate(scheduled, reason="licence", decided_by="dcc-op", effective_at=later)

    row = current_crl()
    crl = x509.load_der_x509_crl(bytes(row.der))
    assert crl.is_signature_valid(smki.x509().public_key())
    assert crl.signature_algorithm_oid == x509.oid.SignatureAlgorithmOID.ECDSA_WITH_SHA256
    assert crl.issuer == smki.x509().subject
    assert crl_serials(bytes(row.der)) == {int(revoked.serial)}
    assert crl.next_update_utc <= later  # clients come back when the scheduled one takes effect
    assert current_crl() == row  # nothing changed: the same CRL

    after = later + timedelta(seconds=1)
    row2 = current_crl(at=after)
    assert crl_serials(bytes(row2.der)) == {int(revoked.serial), int(scheduled.serial)}
    assert int(kept.serial) not in crl_serials(bytes(row2.der))
    number = x509.load_der_x509_crl(bytes(row2.der)).extensions.get_extension_for_class(x509.CRLNumber).value
    assert number.crl_number == row.number + 1


def test_pki_crl_command_writes_the_crl(smki, supplier_uid, tmp_path):
    cert = xml_cert(supplier_uid)
    revoke_certificate(cert, reason="x", decided_by="y")
    out = tmp_path / "now.crl"
    call_command("pki_crl", "--out", str(out))
    assert crl_serials(out.read_bytes()) == {int(cert.serial)}


def test_revoking_all_of_a_partys_certificates_in_one_action(smki):
    failed = PartyFactory(kind=PartyKind.SUPPLIER, short_name="failing")
    other = PartyFactory(kind=PartyKind.SUPPLIER, short_name="healthy")
    a = UserIDFactory(party=failed, roles=["IS"])
    b = UserIDFactory(party=failed, roles=["GS"])
    c = UserIDFactory(party=other, roles=["IS"])
    mine = [issue_certificate(uid, kind, csr_for()) for uid in (a, b) for kind in ("digital-signing", "key-agreement")]
    theirs = issue_certificate(c, "digital-signing", csr_for())

    changed = revoke_party_certificates(failed, reason="supply licence revoked by the Authority",
                                        decided_by="dcc-op")
    assert sorted(x.pk for x in changed) == sorted(x.pk for x in mine)
    for cert in mine:
        assert_revoked(cert, reason="supply licence revoked by the Authority", decided_by="dcc-op")
    theirs.refresh_from_db()
    assert theirs.revoked_at is None and theirs.revocation_reason == "" and theirs.status() == "valid"
    assert not AuditRecord.objects.filter(action="certificate.revoke", subject_id=str(theirs.pk)).exists()
    assert resolve_signer(theirs.issuer_name, int(theirs.serial), kinds=("digital-signing",)) == theirs
    record = AuditRecord.objects.get(action="party.certificates_revoke", subject_id=str(failed.pk))
    assert sorted(record.after["serials"]) == sorted(x.serial for x in mine)
    assert crl_serials(bytes(current_crl().der)) == {int(x.serial) for x in mine}
    assert revoke_party_certificates(failed, reason="again", decided_by="dcc-op") == []


def test_pki_revoke_command_for_a_party_at_a_set_time(smki, supplier_uid, capsys):
    cert = xml_cert(supplier_uid)
    when = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    call_command("pki_revoke", "--party", supplier_uid.party.short_name, "--reason", "licence revoked",
                 "--decided-by", "authority", "--effective", when.isoformat())
    cert = assert_revoked(cert, reason="licence revoked", decided_by="authority", effective_at=when,
                          actor="authority", action="certificate.revoke_scheduled")
    assert not cert.is_revoked() and cert.is_revoked(at=when)
    out = capsys.readouterr().out
    assert f"revoked serial {cert.serial}" in out and "1 certificate(s)" in out


def test_pki_revoke_command_by_serial(smki, supplier_uid):
    cert = xml_cert(supplier_uid)
    call_command("pki_revoke", "--serial", cert.serial, "--reason", "compromise", "--decided-by", "dcc-op")
    assert_revoked(cert, reason="compromise", decided_by="dcc-op", actor="dcc-op")


def test_party_revocation_covers_imported_certificates_of_its_user_ids(db, vectors_dir, supplier_uid):
    from pki.importer import import_paths

    import_paths([vectors_dir / "dccboxed-signing-tool/keys/Z1-supplier-ds.pem"], trust_unchained=True)
    cert = Certificate.objects.get(serial="105986833131214866166891566273223584671")
    Certificate.objects.filter(pk=cert.pk).update(user_id=None)
    changed = revoke_party_certificates(supplier_uid.party, reason="licence revoked", decided_by="dcc-op")
    assert [c.pk for c in changed] == [cert.pk]
    assert cert.ca_id is None  # imported alone, chained to no CA of ours: no CRL of ours lists it
    assert_revoked(cert, reason="licence revoked", decided_by="dcc-op")


def test_pki_revoke_effective_time_without_a_zone_is_utc(smki, supplier_uid):
    from datetime import UTC, datetime

    cert = xml_cert(supplier_uid)
    call_command("pki_revoke", "--serial", cert.serial, "--reason", "compromise", "--decided-by", "dcc-op",
                 "--effective", "2026-11-28T15:17:55")
    cert.refresh_from_db()
    assert cert.revoked_at == datetime(2026, 11, 28, 15, 17, 55, tzinfo=UTC)


def test_a_past_at_never_brings_a_revoked_certificate_back(smki, srp_solr_uid):
    """``at`` decides the validity period; revocation is checked at max(at, now)."""
    from pki import signers, xmldsig
    from tests.helpers.pki import p256_key

    key = p256_key()
    cert = issue_certificate(srp_solr_uid, "xml-signing", csr_for(key), requested_by="alice")
    before = timezone.now()
    revoke_certificate(cert, reason="key compromise", decided_by="dcc-op")
    with pytest.raises(SignerRejected) as caught:
        resolve_signer(cert.issuer_name, int(cert.serial), at=before - timedelta(seconds=5))
    assert caught.value.code == "revoked"
    # The same through the verifier, with the signer cache.
    signers.clear_signer_cache()
    from lxml import etree

    doc = etree.fromstring(b"<Request xmlns='urn:x'><Body>1</Body></Request>")
    signed = xmldsig.sign(doc, key, cert.x509())
    with pytest.raises(xmldsig.SignatureRejected) as rejected:
        signers.verify(signed, at=before - timedelta(seconds=5))
    assert rejected.value.signer_code == "revoked"
    signers.clear_signer_cache()


def test_pki_revoke_audits_the_deciding_person(smki, supplier_uid, django_capture_on_commit_callbacks):
    from pki.models import RevocationList

    cert = xml_cert(supplier_uid)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("pki_revoke", "--serial", cert.serial, "--reason", "compromise", "--decided-by", "bob")
    record = AuditRecord.objects.get(action="certificate.revoke")
    assert record.actor == "bob" and record.context == "manage.py pki_revoke"
    # The revocation signed the CRL that lists it.
    crl = RevocationList.objects.order_by("-number").first()
    assert crl is not None and crl.revoked_serials == [cert.serial]
    assert AuditRecord.objects.filter(action="crl.issue").exists()


def test_crl_is_reissued_when_an_effective_time_moves_with_the_same_serials(smki, supplier_uid):
    cert = xml_cert(supplier_uid)
    revoke_certificate(cert, reason="compromise", decided_by="dcc-op",
                       effective_at=timezone.now() - timedelta(hours=1))
    first = current_crl()
    revoke_certificate(cert, reason="compromise, earlier", decided_by="dcc-op",
                       effective_at=timezone.now() - timedelta(hours=2))
    second = current_crl()
    assert second.number == first.number + 1 and second.revoked_serials == first.revoked_serials
    [entry] = list(x509.load_der_x509_crl(bytes(second.der)))
    assert entry.revocation_date_utc == cert.__class__.objects.get(pk=cert.pk).revoked_at.replace(microsecond=0)


def test_crl_is_reissued_when_a_scheduled_revocation_moves_before_its_next_update(smki, supplier_uid):
    cert = xml_cert(supplier_uid)
    first = current_crl()
    soon = timezone.now() + timedelta(hours=1)
    revoke_certificate(cert, reason="licence revoked", decided_by="dcc-op", effective_at=soon)
    second = current_crl()
    assert second.number == first.number + 1 and second.next_update <= soon


def test_a_certificate_of_an_expired_issuing_ca_does_not_sign(smki, supplier_uid):
    from pki.models import CertificateAuthority

    cert = xml_cert(supplier_uid)
    CertificateAuthority.objects.filter(pk=smki.pk).update(not_after=timezone.now() - timedelta(seconds=1))
    with pytest.raises(SignerRejected) as caught:
        resolve_signer(cert.issuer_name, int(cert.serial))
    assert caught.value.code == "expired" and "issuing CA" in caught.value.message
