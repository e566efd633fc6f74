"""Interoperability with real DCC Boxed data: the signed responses verify, the broken ones are refused for
the right reason (vectors README, responses/ table). Here the signer comes from an in-test resolver; the
repository-backed versions are in test_xmldsig_repository.py."""

from __future__ import annotations

import pytest
from lxml import etree

from pki import xmldsig
from tests.pki import xmldsig_cases as cases

ALL_KINDS = ("xml-signing", "digital-signing")  # old responses were signed with a role-04 DS certificate


@pytest.fixture
def resolver(vectors_dir):
    return cases.FakeResolver(cases.all_vector_certs(vectors_dir).values())


@pytest.mark.parametrize("path", sorted(cases.SIGNED_VECTORS))
def test_real_signed_response_verifies(vectors_dir, resolver, path):
    data = (vectors_dir / path).read_bytes()
    result = xmldsig.verify(data, resolver=resolver, kinds=ALL_KINDS)

    expected = cases.load_cert(vectors_dir, cases.SIGNED_VECTORS[path])
    assert result.signer.x509() == expected
    assert result.serial == expected.serial_number
    assert result.issuer_name == "CN=Z1,OU=07"
    # The tree handed back is the signed content: no Signature, same Body as the input.
    assert result.root.find("ds:Signature", cases.NS) is None
    original = etree.fromstring(data)
    assert etree.tostring(result.root.find("sr:Body", cases.NS), method="c14n") == etree.tostring(
        original.find("sr:Body", cases.NS), method="c14n"
    )


@pytest.mark.parametrize("path", sorted(cases.REFUSED_VECTORS))
def test_broken_vector_refused_for_the_right_reason(vectors_dir, resolver, path):
    code, signer_code = cases.REFUSED_VECTORS[path]
    with pytest.raises(xmldsig.SignatureRejected) as info:
        xmldsig.verify((vectors_dir / path).read_bytes(), resolver=resolver, kinds=ALL_KINDS)
    assert info.value.code == code, info.value.message
    assert info.value.signer_code == signer_code


def test_role_04_signer_refused_when_only_xml_signing_kind_allowed(vectors_dir, resolver):
    # message.xml was signed with a Digital Signing (role 04) cert: not acceptable for DUIS requests.
    data = (vectors_dir / cases.RESPONSES / "message.xml").read_bytes()
    with pytest.raises(xmldsig.SignatureRejected) as info:
        xmldsig.verify(data, resolver=resolver)
    assert (info.value.code, info.value.signer_code) == ("unknown-signer", "wrong-kind")


def test_unsigned_but_otherwise_valid_response_refused(vectors_dir, resolver):
    # DCC Boxed "skips validation" of an unsigned response (reference §3); we do not.
    data = (vectors_dir / cases.RESPONSES / "acknowledgement-error.xml").read_bytes()
    with pytest.raises(xmldsig.SignatureRejected) as info:
        xmldsig.verify(data, resolver=resolver, kinds=ALL_KINDS)
    assert info.value.code == "unsigned"
