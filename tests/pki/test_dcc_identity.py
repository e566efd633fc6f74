"""The DCC's own XML signing identity outside the demo: pki_issue --into-keystore and pki.dcc_identity."""

from __future__ import annotations

import pytest
from cryptography.x509.oid import NameOID
from django.core.management import CommandError, call_command
from django.test import override_settings

from pki.dcc_identity import DCC_XML_SIGNING_KEY_REF, dcc_signing_certificate, dcc_signing_identity
from pki.keystore import get_keystore
from portal.models import PartyKind
from tests.portal.factories import PartyFactory, UserIDFactory

pytestmark = pytest.mark.django_db

DCC_EUI = "90-B3-D5-1F-30-00-00-02"


@pytest.fixture
def dcc_uid(db):
    return UserIDFactory(eui=DCC_EUI, party=PartyFactory(kind=PartyKind.DCC, short_name="dcc"))


@override_settings(DCC_USER_ID=DCC_EUI)
def test_pki_issue_into_the_key_store(smki, dcc_uid, keystore_dir, capsys):
    with pytest.raises(LookupError):
        dcc_signing_identity()
    call_command("pki_issue", DCC_EUI, "--kind", "xml-signing", "--into-keystore", DCC_XML_SIGNING_KEY_REF,
                 "--out", str(keystore_dir.parent / "dcc.pem"))
    cert, key = dcc_signing_identity()
    assert cert == dcc_signing_certificate()
    assert cert.x509().subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "89"
    assert key.public_key() == cert.public_key()
    assert "PRIVATE KEY" not in capsys.readouterr().out
    assert not list(keystore_dir.parent.glob("*.key.pem"))

    # A second one needs --replace-key; without it nothing is issued.
    with pytest.raises(CommandError, match="^key-exists: "):
        call_command("pki_issue", DCC_EUI, "--kind", "xml-signing", "--into-keystore", DCC_XML_SIGNING_KEY_REF)
    assert dcc_uid.certificates.count() == 1
    call_command("pki_issue", DCC_EUI, "--kind", "xml-signing", "--into-keystore", DCC_XML_SIGNING_KEY_REF,
                 "--replace-key", "--out", str(keystore_dir.parent / "dcc2.pem"))
    new_cert, new_key = dcc_signing_identity()
    assert new_cert != cert and new_key.public_key() == new_cert.public_key()
    assert get_keystore().load_private_key(DCC_XML_SIGNING_KEY_REF).public_key() == new_cert.public_key()


def test_a_refused_order_stores_no_key(smki, srp_solr_uid):
    with pytest.raises(CommandError, match="^solr-xml-signing-only: "):
        call_command("pki_issue", srp_solr_uid.eui, "--kind", "digital-signing", "--into-keystore", "srp/ds")
    assert not get_keystore().has_key("srp/ds")


def test_generated_key_file_is_0600_even_if_it_existed(tmp_path):
    import os

    from pki import profile
    from pki.management.commands.pki_issue import write_private_key

    path = tmp_path / "key.pem"
    path.write_text("old")
    os.chmod(path, 0o644)
    write_private_key(path, profile.generate_key())
    assert path.stat().st_mode & 0o777 == 0o600


@override_settings(DCC_USER_ID=DCC_EUI, PKI_DCC_IDENTITY_CACHE_SECONDS=300)
def test_the_cached_identity_reads_revocation_on_every_use(smki, dcc_uid, keystore_dir):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from pki.dcc_identity import clear_identity_cache, signing_identity
    from pki.models import Certificate

    clear_identity_cache()
    call_command("pki_issue", DCC_EUI, "--kind", "xml-signing", "--into-keystore", DCC_XML_SIGNING_KEY_REF,
                 "--out", str(keystore_dir.parent / "dcc.pem"))
    cert, key = signing_identity()
    with CaptureQueriesContext(connection) as queries:
        assert signing_identity() == (cert, key)  # the cached pair ...
    assert len(queries.captured_queries) == 1 and "revoked_at" in queries.captured_queries[0]["sql"]  # ... re-read
    # Revoked by another process (no signal reaches this one): the very next use refuses.
    Certificate.objects.filter(pk=cert.pk).update(revoked_at=timezone.now() - timezone.timedelta(seconds=1))
    with pytest.raises(LookupError):
        signing_identity()


@override_settings(DCC_USER_ID=DCC_EUI, PKI_DCC_IDENTITY_CACHE_SECONDS=300)
def test_a_key_replaced_in_this_process_is_used_at_once_despite_the_cache(smki, dcc_uid, keystore_dir):
    """pki.cache_clearing: the Certificate saved by pki_issue --replace-key clears the cached identity (no wait
    for the cache time)."""
    from pki.dcc_identity import clear_identity_cache, signing_identity

    clear_identity_cache()
    call_command("pki_issue", DCC_EUI, "--kind", "xml-signing", "--into-keystore", DCC_XML_SIGNING_KEY_REF,
                 "--out", str(keystore_dir.parent / "dcc.pem"))
    old_cert, old_key = signing_identity()
    call_command("pki_issue", DCC_EUI, "--kind", "xml-signing", "--into-keystore", DCC_XML_SIGNING_KEY_REF,
                 "--replace-key", "--out", str(keystore_dir.parent / "dcc2.pem"))
    new_cert, new_key = signing_identity()
    assert new_cert.pk != old_cert.pk
    assert new_key.public_key() == new_cert.public_key() != old_cert.public_key()


@override_settings(DCC_USER_ID=DCC_EUI)
def test_a_certificate_change_clears_now_and_again_on_commit(smki, dcc_uid, keystore_dir,
                                                             django_capture_on_commit_callbacks):
    from django.db.models.signals import post_delete, post_save

    from pki.cache_clearing import clear_on_certificate_change
    from pki.models import Certificate

    cleared = []

    def clear():
        cleared.append(1)

    clear_on_certificate_change(clear, "tests.pki.cache_clearing")
    try:
        with django_capture_on_commit_callbacks() as callbacks:
            call_command("pki_issue", DCC_EUI, "--kind", "xml-signing", "--into-keystore", DCC_XML_SIGNING_KEY_REF,
                         "--out", str(keystore_dir.parent / "dcc.pem"))
            assert cleared  # on the save itself
        assert clear in callbacks  # and again once the transaction commits
    finally:
        post_save.disconnect(sender=Certificate, dispatch_uid="tests.pki.cache_clearing.saved")
        post_delete.disconnect(sender=Certificate, dispatch_uid="tests.pki.cache_clearing.deleted")
