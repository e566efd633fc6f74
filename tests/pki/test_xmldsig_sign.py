"""Our signer: the SRV 1.6 template signed with the ZAZ1 supplier XML-signing key verifies under our
verifier and under independent implementations (signxml, python-xmlsec directly, a hand-computed digest)."""

from __future__ import annotations

import base64
import hashlib

import pytest
import xmlsec
from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml import XMLVerifier

from pki import xmldsig
from pki.names import rfc2253
from tests.pki import xmldsig_cases as cases


@pytest.fixture
def supplier(vectors_dir):
    return (
        cases.load_key(vectors_dir, cases.SUPPLIER_XML_SIGN),
        cases.load_cert(vectors_dir, cases.SUPPLIER_XML_SIGN),
    )


@pytest.fixture
def signed(vectors_dir, supplier):
    key, cert = supplier
    return xmldsig.sign((vectors_dir / cases.SRV16_TEMPLATE).read_bytes(), key, cert)


@pytest.fixture
def resolver(vectors_dir):
    return cases.FakeResolver(cases.all_vector_certs(vectors_dir).values())


def test_signed_template_verifies_with_our_verifier(signed, supplier, resolver):
    result = xmldsig.verify(signed, resolver=resolver)
    assert result.signer.x509() == supplier[1]
    assert result.root.findtext("sr:Header/sr:RequestID", namespaces=cases.NS).endswith(":1002")
    assert result.root.find("sr:Body/sr:UpdatePaymentMode/sr:Credit", cases.NS) is not None


def test_signed_template_verifies_with_signxml(signed, vectors_dir):
    cert_pem = (vectors_dir / cases.KEYS / f"{cases.SUPPLIER_XML_SIGN}.pem").read_bytes()
    # The certificate is given explicitly; KeyInfo holds only IssuerSerial, which signxml does not resolve.
    result = XMLVerifier().verify(signed, x509_cert=cert_pem, ignore_ambiguous_key_info=True)
    assert result.signed_xml.find("sr:Body/sr:UpdatePaymentMode/sr:Credit", cases.NS) is not None


def test_signed_template_verifies_with_xmlsec_directly(signed, supplier):
    pem = supplier[1].public_bytes(serialization.Encoding.PEM)
    root = etree.fromstring(signed)
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(pem, xmlsec.KeyFormat.CERT_PEM)
    ctx.verify(root.find("ds:Signature", cases.NS))  # raises on failure


def test_signed_template_fails_xmlsec_with_another_key(signed, vectors_dir):
    other = cases.load_cert(vectors_dir, cases.NETWORK_OPERATOR_XML_SIGN).public_bytes(serialization.Encoding.PEM)
    root = etree.fromstring(signed)
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(other, xmlsec.KeyFormat.CERT_PEM)
    with pytest.raises(xmlsec.VerificationError):
        ctx.verify(root.find("ds:Signature", cases.NS))


def test_digest_is_sha256_of_inclusive_c14n_without_signature(signed):
    root = etree.fromstring(signed)
    signature = root.find("ds:Signature", cases.NS)
    digest_value = signature.findtext("ds:SignedInfo/ds:Reference/ds:DigestValue", namespaces=cases.NS)
    root.remove(signature)
    expected = hashlib.sha256(etree.tostring(root, method="c14n", exclusive=False, with_comments=False)).digest()
    assert base64.b64decode(digest_value) == expected


def test_signature_follows_the_dcc_boxed_profile_exactly(signed, supplier):
    root = etree.fromstring(signed)
    signature = root[-1]
    assert signature.tag == cases.ds("Signature") and signature.prefix == "ds"
    assert [etree.QName(c).localname for c in signature] == ["SignedInfo", "SignatureValue", "KeyInfo"]
    si = signature.find("ds:SignedInfo", cases.NS)
    assert si.find("ds:CanonicalizationMethod", cases.NS).get("Algorithm") == xmldsig.ALG_EXC_C14N
    assert si.find("ds:SignatureMethod", cases.NS).get("Algorithm") == xmldsig.ALG_ECDSA_SHA256
    (reference,) = si.findall("ds:Reference", cases.NS)
    assert reference.attrib == {"URI": ""}
    assert [t.get("Algorithm") for t in reference.find("ds:Transforms", cases.NS)] == [xmldsig.ALG_ENVELOPED]
    assert reference.find("ds:DigestMethod", cases.NS).get("Algorithm") == xmldsig.ALG_SHA256
    assert len(base64.b64decode(signature.findtext("ds:SignatureValue", namespaces=cases.NS))) == 64  # raw r‖s
    issuer_serial = signature.find("ds:KeyInfo/ds:X509Data/ds:X509IssuerSerial", cases.NS)
    assert issuer_serial.findtext("ds:X509IssuerName", namespaces=cases.NS) == "CN=Z1,OU=07"
    assert issuer_serial.findtext("ds:X509SerialNumber", namespaces=cases.NS) == str(supplier[1].serial_number)
    assert len(signature.find("ds:KeyInfo", cases.NS)) == 1


def test_output_is_compact_and_placeholder_removed(signed):
    assert b"ZGVmYXVsdA==" not in signed  # the template's placeholder digest/signature
    assert b"CN=U1" not in signed and b"<!--" not in signed
    assert b">\n" not in signed and b">  " not in signed
    root = etree.fromstring(signed)
    assert len(root.findall(".//ds:Signature", cases.NS)) == 1
    for element in root.iter():
        if len(element):
            assert element.text is None
        assert element.tail is None


def test_resigning_replaces_the_signature(signed, supplier, resolver):
    again = xmldsig.sign(signed, *supplier)
    assert etree.fromstring(again).findall(".//ds:Signature", cases.NS).__len__() == 1
    xmldsig.verify(again, resolver=resolver)


def test_sign_accepts_a_tree_and_does_not_modify_it(vectors_dir, supplier, resolver):
    root = cases.srv16_request(vectors_dir, counter=424242)
    before = etree.tostring(root)
    signed = xmldsig.sign(root, *supplier)
    assert etree.tostring(root) == before
    result = xmldsig.verify(signed, resolver=resolver)
    assert result.root.findtext("sr:Header/sr:RequestID", namespaces=cases.NS).endswith(":424242")


def test_sign_refuses_a_key_that_is_not_the_certificates(vectors_dir, supplier):
    other_key = cases.load_key(vectors_dir, cases.NETWORK_OPERATOR_XML_SIGN)
    with pytest.raises(ValueError, match="does not belong"):
        xmldsig.sign((vectors_dir / cases.SRV16_TEMPLATE).read_bytes(), other_key, supplier[1])


def test_rfc2253_matches_the_dcc_boxed_issuer_string(vectors_dir):
    for name, cert in cases.all_vector_certs(vectors_dir).items():
        assert rfc2253(cert.issuer) == "CN=Z1,OU=07", name


def test_rfc2253_escapes_and_unknown_types():
    from cryptography import x509
    from cryptography.x509.oid import NameOID, ObjectIdentifier

    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "07"),
            x509.NameAttribute(NameOID.COMMON_NAME, "a,b+c"),
            x509.NameAttribute(ObjectIdentifier("2.5.4.5"), "AB"),
        ]
    )
    # Java prints RDNs last-first; an attribute without a keyword as OID=#<DER hex> (PrintableString 0x13).
    assert rfc2253(name) == "2.5.4.5=#13024142,CN=a\\,b\\+c,OU=07"


def _name(*rdns):
    from cryptography import x509

    return x509.Name([x509.RelativeDistinguishedName(list(rdn)) for rdn in rdns])


def _cn(value, asn1_type=None):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    if asn1_type is None:
        return x509.NameAttribute(NameOID.COMMON_NAME, value)
    return x509.NameAttribute(NameOID.COMMON_NAME, value, _type=asn1_type)


def _awkward_names():
    """(name, what JDK 17's X500Principal.getName() printed for a certificate with that name)."""
    from cryptography import x509
    from cryptography.x509.name import _ASN1Type
    from cryptography.x509.oid import NameOID, ObjectIdentifier

    attr = x509.NameAttribute
    return {
        "equals": (_name([_cn("a=b")]), "CN=a\\=b"),
        "leading-equals": (_name([_cn("=a")]), "CN=\\=a"),
        "inner-hash": (_name([_cn("a#b")]), "CN=a\\#b"),
        "leading-hash": (_name([_cn("#abc")]), "CN=\\#abc"),
        "specials": (_name([_cn('a,b+c"d\\e<f>g;h')]), 'CN=a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h'),
        "two-leading-spaces": (_name([_cn("  a")]), "CN=\\ \\ a"),
        "two-trailing-spaces": (_name([_cn("a  ")]), "CN=a\\ \\ "),
        "inner-spaces": (_name([_cn("a  b")]), "CN=a  b"),
        "all-spaces": (_name([_cn("   ")]), "CN=\\ \\ \\ "),
        "cr-at-the-edges": (_name([_cn("\r a \r")]), "CN=\\\r\\ a\\ \\\r"),
        "nul": (_name([_cn("a\x00b")]), "CN=a\\00b"),
        "control-and-non-ascii": (_name([_cn("a\x01b Zo\u00eb \u20ac")]), "CN=a\x01b Zo\u00eb \u20ac"),
        "printable-string": (_name([_cn("Z1", _ASN1Type.PrintableString)]), "CN=Z1"),
        "visible-string": (_name([_cn("Z1", _ASN1Type.VisibleString)]), "CN=#1a025a31"),
        "universal-string": (_name([_cn("Z1", _ASN1Type.UniversalString)]), "CN=#1c080000005a00000031"),
        "bmp-string": (_name([_cn("Z1", _ASN1Type.BMPString)]), "CN=\\00Z\\001"),
        "bmp-string-euro": (_name([_cn("\u20ac", _ASN1Type.BMPString)]), "CN=\\ \ufffd"),
        "serial-number": (_name([attr(NameOID.SERIAL_NUMBER, "AB12")]), "2.5.4.5=#130441423132"),
        "email": (_name([attr(NameOID.EMAIL_ADDRESS, "x@example.org")]),
                  "1.2.840.113549.1.9.1=#160d78406578616d706c652e6f7267"),
        "title": (_name([attr(NameOID.TITLE, "Dr")]), "2.5.4.12=#0c024472"),
        "unknown-oid": (_name([attr(ObjectIdentifier("1.2.3.4"), "xyz", _type=_ASN1Type.UTF8String)]),
                        "1.2.3.4=#0c0378797a"),
        "keywords": (_name([attr(NameOID.DOMAIN_COMPONENT, "org")], [attr(NameOID.USER_ID, "u1")],
                           [attr(NameOID.COUNTRY_NAME, "GB")], [attr(NameOID.STATE_OR_PROVINCE_NAME, "S")],
                           [attr(NameOID.LOCALITY_NAME, "L")], [attr(NameOID.ORGANIZATION_NAME, "O")],
                           [attr(NameOID.STREET_ADDRESS, "1 St")]),
                     "STREET=1 St,O=O,L=L,ST=S,C=GB,UID=u1,DC=org"),
        "multi-valued-rdn": (_name([_cn("b"), _cn("a"), attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "z")]),
                             "CN=a+CN=b+OU=z"),
        "x500-unique-identifier": (_name([attr(ObjectIdentifier("2.5.4.45"), b"\x00\x90\xb3\xd5\x1f\x30\x01\x00\x00",
                                               _type=_ASN1Type.BitString)], [_cn("Z1")]),
                                   "CN=Z1,2.5.4.45=#03090090b3d51f30010000"),
    }


@pytest.mark.parametrize("case", sorted(_awkward_names()))
def test_rfc2253_prints_what_jdk17_prints(case):
    # Expected strings were printed by JDK 17.0.15 for certificates with these names; the Java
    # interoperability tests (test_xmldsig_java.py) check the same rules against a live JDK.
    name, expected = _awkward_names()[case]
    assert rfc2253(name) == expected
