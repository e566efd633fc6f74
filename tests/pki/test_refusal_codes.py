"""SMKI refusals carry stable codes (docs/refusal-codes.md): the classes, the documentation and the commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from pki.ca import CANotReady
from pki.csr import CSRRejected
from pki.issuance import IssuanceRefused
from pki.keystore import KeyNotFound, KeyStoreError
from pki.names import InvalidName, name_key
from pki.profile import ProfileError
from pki.repository import SearchRefused, SignerRejected
from pki.revocation import RevocationError
from pki.store import NotAnOrgCertificate
from portal.errors import Refusal

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("cls", [IssuanceRefused, CANotReady, CSRRejected, KeyStoreError, KeyNotFound, ProfileError,
                                 NotAnOrgCertificate, RevocationError, SearchRefused, SignerRejected])
def test_every_pki_refusal_is_a_refusal_with_a_default_code(cls):
    assert issubclass(cls, Refusal)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", cls.code)


@pytest.mark.parametrize("cls", [CSRRejected, ProfileError, NotAnOrgCertificate, RevocationError, SearchRefused,
                                 InvalidName])
def test_refusals_that_callers_catch_as_value_error_still_are_one(cls):
    assert issubclass(cls, ValueError)


def test_invalid_name_has_a_code_like_a_refusal():
    with pytest.raises(InvalidName) as caught:
        name_key("no equals sign")
    assert caught.value.code == "invalid-name" and str(caught.value).startswith("invalid-name: ")


def documented_codes() -> set[str]:
    text = (ROOT / "docs/refusal-codes.md").read_text()
    section = text.split("## SMKI (`pki`)", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9-]+)` \|", section, flags=re.M))


def raised_codes() -> set[str]:
    """Every code the pki package can give: class defaults, code="…" arguments, refused("…") answers and the
    "code: …" prefixes of the management commands."""
    codes = set()
    for path in (ROOT / "pki").rglob("*.py"):
        if "migrations" in path.parts or path.name.startswith("xmldsig"):
            continue
        text = path.read_text()
        codes |= set(re.findall(r'\bcode(?: =|=)\s*"([a-z0-9-]+)"', text))
        codes |= set(re.findall(r'\brefused\("([a-z0-9-]+)"', text))
        codes |= set(re.findall(r'CommandError\(f?"([a-z0-9]+(?:-[a-z0-9]+)+): ', text))
    return codes


def test_every_code_pki_raises_is_documented():
    missing = raised_codes() - documented_codes()
    assert not missing, f"codes missing from docs/refusal-codes.md (SMKI): {sorted(missing)}"
    assert {"solr-xml-signing-only", "no-issuing-ca", "invalid-cursor", "key-not-found"} <= raised_codes()


def test_commands_print_code_then_message(db, keystore_dir):
    with pytest.raises(CommandError, match=r"^no-issuing-ca: "):
        call_command("pki_crl")
    with pytest.raises(CommandError, match=r"^unknown-certificate: "):
        call_command("pki_revoke", "--serial", "1234", "--reason", "x", "--decided-by", "y")
    with pytest.raises(CommandError, match=r"^unknown-party: "):
        call_command("pki_revoke", "--party", "nobody", "--reason", "x", "--decided-by", "y")
    with pytest.raises(CommandError, match=r"^invalid-effective-time: "):
        call_command("pki_revoke", "--serial", "1", "--reason", "x", "--decided-by", "y", "--effective", "soon")
    with pytest.raises(CommandError, match=r"^invalid-key-ref: "):
        call_command("pki_issue", "90-B3-D5-1F-30-00-00-02", "--into-keystore", "../escape")
    with pytest.raises(CommandError, match=r"^file-not-found: "):
        call_command("pki_import", str(keystore_dir / "nothing-here.pem"))


def test_revocation_refusals_in_the_command(smki, supplier_uid):
    from pki.issuance import issue_certificate
    from tests.helpers.pki import csr_for

    cert = issue_certificate(supplier_uid, "xml-signing", csr_for())
    with pytest.raises(CommandError, match=r"^revocation-reason-missing: "):
        call_command("pki_revoke", "--serial", cert.serial, "--reason", " ", "--decided-by", "y")
    cert.refresh_from_db()
    assert cert.revoked_at is None


def test_pki_init_on_a_partial_hierarchy(smki):
    from pki.models import CertificateAuthority

    CertificateAuthority.objects.filter(level="root").update(active=False)
    with pytest.raises(CommandError, match=r"^ca-hierarchy-partial: "):
        call_command("pki_init")
