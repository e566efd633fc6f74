"""One rule for valid / revoked / expired (pki.models.CertificateQuerySet), tested at the exact instant.

Valid when not_before <= at <= not_after (RFC 5280 §4.1.2.5: inclusive), revoked when revoked_at <= at. The
queryset, the row's own status and the signer path (pki.repository.check_signer) must agree at every boundary.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from pki.issuance import issue_certificate
from pki.models import Certificate
from pki.repository import SignerRejected, check_signer, resolve_signer
from tests.helpers.pki import csr_for

pytestmark = pytest.mark.django_db

US = timedelta(microseconds=1)


@pytest.fixture
def cert(smki, srp_solr_uid):
    """An XML signing certificate whose validity and revocation lie in the future (so that the signer path,
    which checks revocation at the later of ``at`` and now, is asked about exactly ``at``)."""
    issued = issue_certificate(srp_solr_uid, "xml-signing", csr_for())
    base = timezone.now().replace(microsecond=0) + timedelta(days=1)
    Certificate.objects.filter(pk=issued.pk).update(
        not_before=base, not_after=base + timedelta(days=10), revoked_at=base + timedelta(days=20))
    return Certificate.objects.select_related("ca").get(pk=issued.pk)


def statuses(at) -> set[str]:
    """Which queryset statuses contain the certificate at ``at``."""
    qs = Certificate.objects
    found = {name for name, method in (("valid", qs.valid), ("revoked", qs.revoked), ("expired", qs.expired),
                                       ("not-yet-valid", qs.not_yet_valid),
                                       ("revocation-scheduled", qs.revocation_scheduled)) if method(at).exists()}
    return found


def signer_code(cert, at) -> str | None:
    try:
        check_signer(cert, at=at)
    except SignerRejected as exc:
        return exc.code
    return None


def test_not_before_is_inclusive(cert):
    at = cert.not_before
    assert statuses(at - US) == {"not-yet-valid"} and cert.status(at - US) == "not-yet-valid"
    assert signer_code(cert, at - US) == "not-yet-valid"
    assert statuses(at) == {"valid", "revocation-scheduled"} and cert.status(at) == "revocation-scheduled"
    assert signer_code(cert, at) is None and cert.is_valid(at)
    assert statuses(at + US) == {"valid", "revocation-scheduled"} and signer_code(cert, at + US) is None


def test_not_after_is_inclusive(cert):
    at = cert.not_after
    assert statuses(at - US) == {"valid", "revocation-scheduled"} and signer_code(cert, at - US) is None
    assert statuses(at) == {"valid", "revocation-scheduled"} and cert.is_valid(at)
    assert signer_code(cert, at) is None  # RFC 5280: valid through notAfter
    assert statuses(at + US) == {"expired"} and cert.status(at + US) == "expired"
    assert signer_code(cert, at + US) == "expired" and not cert.is_valid(at + US)


def test_revoked_from_revoked_at_inclusive(cert):
    # Move the revocation inside the validity period to test it apart from expiry.
    at = cert.not_before + timedelta(days=5)
    Certificate.objects.filter(pk=cert.pk).update(revoked_at=at)
    cert.refresh_from_db()
    assert statuses(at - US) == {"valid", "revocation-scheduled"} and signer_code(cert, at - US) is None
    assert not cert.is_revoked(at - US)
    assert statuses(at) == {"revoked"} and cert.status(at) == "revoked" and cert.is_revoked(at)
    assert signer_code(cert, at) == "revoked" and not cert.is_valid(at)
    assert statuses(at + US) == {"revoked"} and signer_code(cert, at + US) == "revoked"


def test_resolve_signer_agrees_with_the_queryset(cert):
    for at in (cert.not_before - US, cert.not_before, cert.not_after, cert.not_after + US):
        in_queryset = Certificate.objects.valid(at).filter(pk=cert.pk).exists()
        try:
            resolve_signer(cert.issuer_name, int(cert.serial), at=at)
            accepted = True
        except SignerRejected:
            accepted = False
        assert accepted == in_queryset, at


def test_usable_for_is_held_valid_and_of_the_kind(cert, srp_solr_uid, supplier_uid):
    at = cert.not_before
    assert list(Certificate.objects.usable_for(srp_solr_uid, "xml-signing", at)) == [cert]
    assert list(Certificate.objects.usable_for(srp_solr_uid.eui, ["xml-signing"], at)) == [cert]
    assert not Certificate.objects.usable_for(srp_solr_uid, "digital-signing", at).exists()
    assert not Certificate.objects.usable_for(supplier_uid, "xml-signing", at).exists()
    assert not Certificate.objects.usable_for(srp_solr_uid, "xml-signing", at - US).exists()
    assert not Certificate.objects.usable_for(srp_solr_uid, "xml-signing", cert.revoked_at).exists()
    # Imported before its User ID was registered: not linked, but carrying its EUI.
    Certificate.objects.filter(pk=cert.pk).update(user_id=None)
    assert list(Certificate.objects.usable_for(srp_solr_uid, "xml-signing", at)) == [cert]


def test_not_ended_counts_a_not_yet_valid_certificate(cert):
    assert Certificate.objects.not_ended(cert.not_before - US).filter(pk=cert.pk).exists()
    assert Certificate.objects.not_ended(cert.not_after).filter(pk=cert.pk).exists()
    assert not Certificate.objects.not_ended(cert.not_after + US).exists()


def test_dcc_signing_certificate_is_valid_through_not_after(smki, settings):
    """dcc_identity used not_after > now (exclusive); it now follows the one rule."""
    from unittest import mock

    from pki.dcc_identity import dcc_signing_certificate
    from portal.models import PartyKind
    from tests.portal.factories import PartyFactory, UserIDFactory

    dcc = UserIDFactory(eui=settings.DCC_USER_ID, party=PartyFactory(kind=PartyKind.DCC, short_name="dcc"), roles=[])
    issued = issue_certificate(dcc, "xml-signing", csr_for())
    end = issued.not_after
    with mock.patch("django.utils.timezone.now", return_value=end):
        assert dcc_signing_certificate() == issued
    with mock.patch("django.utils.timezone.now", return_value=end + US):
        assert dcc_signing_certificate() is None
