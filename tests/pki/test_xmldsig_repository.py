"""Verification through the real certificate repository: the ZAZ1 vector certificates are registered with
``manage.py pki_import --trust-unchained`` and looked up by pki.signers.verify: pki.repository.resolve_signer
behind the signer cache, the verifier the DUIS endpoints use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from pki import signers, xmldsig
from pki.models import Certificate
from tests.pki import xmldsig_cases as cases

pytestmark = pytest.mark.django_db(transaction=True)

ALL_KINDS = ("xml-signing", "digital-signing")


@pytest.fixture(autouse=True)
def fresh_cache():
    signers.clear_signer_cache()
    yield
    signers.clear_signer_cache()


def register(vectors_dir, *names: str) -> None:
    # The ZAZ1 xml-sign certificates chain to no CA we know: DCC Boxed trusts them by lookup, and so does
    # pki_import when told to.
    paths = [str(vectors_dir / cases.KEYS / f"{name}.pem") for name in names]
    call_command("pki_import", "--trust-unchained", *paths, verbosity=0)


def signing_time(data: bytes) -> dt.datetime:
    """The response's own ResponseDateTime: old signers have expired since (reference §4 "Dates")."""
    from lxml import etree

    text = etree.fromstring(data).findtext("sr:Header/sr:ResponseDateTime", namespaces=cases.NS)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def supplier_signed(vectors_dir):
    register(vectors_dir, cases.SUPPLIER_XML_SIGN)
    key = cases.load_key(vectors_dir, cases.SUPPLIER_XML_SIGN)
    cert = cases.load_cert(vectors_dir, cases.SUPPLIER_XML_SIGN)
    return xmldsig.sign(cases.srv16_request(vectors_dir, counter=5150), key, cert)


@pytest.mark.parametrize("path", sorted(cases.SIGNED_VECTORS))
def test_real_signed_response_verifies_through_the_repository(vectors_dir, path):
    register(vectors_dir, *sorted(set(cases.SIGNED_VECTORS.values())))
    data = (vectors_dir / path).read_bytes()
    result = signers.verify(data, at=signing_time(data), kinds=ALL_KINDS)
    assert isinstance(result.signer, Certificate)
    assert result.signer.x509() == cases.load_cert(vectors_dir, cases.SIGNED_VECTORS[path])
    assert result.signer.serial == str(result.serial)


def test_unregistered_signer_is_unknown(vectors_dir):
    data = (vectors_dir / cases.RESPONSES / "readfw-response-resigned.xml").read_bytes()
    with pytest.raises(xmldsig.SignatureRejected) as info:
        signers.verify(data, at=signing_time(data), kinds=ALL_KINDS)
    assert (info.value.code, info.value.signer_code) == ("unknown-signer", "unknown-certificate")


@pytest.mark.parametrize("path", sorted(cases.REFUSED_VECTORS))
def test_broken_vector_refused_through_the_repository(vectors_dir, path):
    register(vectors_dir, *sorted(set(cases.SIGNED_VECTORS.values())))
    code, signer_code = cases.REFUSED_VECTORS[path]
    with pytest.raises(xmldsig.SignatureRejected) as info:
        signers.verify((vectors_dir / path).read_bytes(), at=dt.datetime(2022, 8, 1, tzinfo=dt.UTC), kinds=ALL_KINDS)
    assert (info.value.code, info.value.signer_code) == (code, signer_code), info.value.message


def test_expired_signer_refused_now(vectors_dir):
    # message.xml's signer (Z1-accessControlBroker-ds) expired on 2025-10-29.
    register(vectors_dir, "Z1-accessControlBroker-ds")
    data = (vectors_dir / cases.RESPONSES / "message.xml").read_bytes()
    with pytest.raises(xmldsig.SignatureRejected) as info:
        signers.verify(data, kinds=ALL_KINDS)
    assert (info.value.code, info.value.signer_code) == ("unknown-signer", "expired")


def test_digital_signing_cert_refused_for_duis_requests(vectors_dir):
    register(vectors_dir, "Z1-accessControlBroker-ds")
    data = (vectors_dir / cases.RESPONSES / "message.xml").read_bytes()
    with pytest.raises(xmldsig.SignatureRejected) as info:
        signers.verify(data, at=signing_time(data))  # default kinds: xml-signing only
    assert (info.value.code, info.value.signer_code) == ("unknown-signer", "wrong-kind")


def test_our_signature_verifies_through_the_repository(supplier_signed):
    result = signers.verify(supplier_signed)
    assert result.signer.kind == "xml-signing"
    assert result.signer.subject_eui is not None
    assert str(result.signer.subject_eui).replace("-", "").upper() == "90B3D51F30010000"


def test_revocation_saved_in_this_process_takes_effect_at_once(supplier_signed):
    signers.verify(supplier_signed)
    signers.verify(supplier_signed)  # served from the signer cache
    from pki.revocation import revoke_certificate

    revoke_certificate(
        Certificate.objects.get(serial="27572613927499351639968579586655397031"), reason="test", decided_by="tester"
    )
    with pytest.raises(xmldsig.SignatureRejected) as info:
        signers.verify(supplier_signed)
    assert (info.value.code, info.value.signer_code) == ("unknown-signer", "revoked")


def test_revocation_by_another_process_takes_effect_on_the_next_request(supplier_signed):
    signers.verify(supplier_signed)
    signers.verify(supplier_signed)  # served from the signer cache
    # queryset.update() sends no signal: the same as a revocation written by another process.
    Certificate.objects.filter(serial="27572613927499351639968579586655397031").update(
        revoked_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(xmldsig.SignatureRejected) as info:
        signers.verify(supplier_signed)
    assert info.value.signer_code == "revoked"


def test_a_certificate_deleted_by_another_process_is_unknown_on_the_next_request(supplier_signed):
    signers.verify(supplier_signed)
    Certificate.objects.filter(serial="27572613927499351639968579586655397031")._raw_delete(Certificate.objects.db)
    with pytest.raises(xmldsig.SignatureRejected) as info:
        signers.verify(supplier_signed)
    assert info.value.signer_code == "unknown-certificate"


def test_scheduled_revocation_is_exact_even_from_the_cache(supplier_signed):
    when = timezone.now() + dt.timedelta(hours=1)
    Certificate.objects.filter(serial="27572613927499351639968579586655397031").update(revoked_at=when)
    signers.clear_signer_cache()
    signers.verify(supplier_signed)  # not yet revoked: cached now
    with pytest.raises(xmldsig.SignatureRejected) as info:
        signers.verify(supplier_signed, at=when + dt.timedelta(seconds=1))
    assert info.value.signer_code == "revoked"


def test_cache_disabled_asks_the_repository_every_time(supplier_signed, settings, django_assert_num_queries):
    settings.PKI_SIGNER_CACHE_SECONDS = 0
    signers.verify(supplier_signed)
    with django_assert_num_queries(1):
        signers.verify(supplier_signed)


def test_cached_lookup_makes_only_the_revocation_read(supplier_signed, django_assert_num_queries):
    signers.verify(supplier_signed)
    with django_assert_num_queries(1) as captured:
        signers.verify(supplier_signed)
    assert "revoked_at" in captured.captured_queries[0]["sql"]
