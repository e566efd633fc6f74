"""Signature wrapping, tampering and hostile XML: each refused with the expected code (DESIGN §6)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from lxml import etree

from pki import xmldsig
from tests.pki import xmldsig_cases as cases
from tests.pki.xmldsig_cases import NS, SR, deep, ds, find, sig


@pytest.fixture(scope="module")
def world(request):
    vectors_dir = request.getfixturevalue("vectors_dir")
    key = cases.load_key(vectors_dir, cases.SUPPLIER_XML_SIGN)
    cert = cases.load_cert(vectors_dir, cases.SUPPLIER_XML_SIGN)
    signed = xmldsig.sign(cases.srv16_request(vectors_dir, counter=77), key, cert)
    return {
        "vectors_dir": vectors_dir,
        "signed": signed,
        "certs": cases.all_vector_certs(vectors_dir),
        "attacker_key": ec.generate_private_key(ec.SECP256R1()),
    }


@pytest.fixture
def resolver(world):
    return cases.FakeResolver(world["certs"].values())


# --- helpers that play the attacker ----------------------------------------------------------------


def _attacker_cert(key) -> x509.Certificate:
    # Same issuer name and the victim's serial would be the strongest claim; the verifier must not care.
    name = x509.Name(
        [
            x509.NameAttribute(x509.NameOID.ORGANIZATIONAL_UNIT_NAME, "07"),
            x509.NameAttribute(x509.NameOID.COMMON_NAME, "Z1"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(27572613927499351639968579586655397031)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def _resign_in_place(root, key) -> None:
    """Recompute DigestValue and SignatureValue over the (modified) document with ``key``, keeping KeyInfo."""
    signature = sig(root)
    index = root.index(signature)
    root.remove(signature)
    digest = hashlib.sha256(etree.tostring(root, method="c14n")).digest()
    root.insert(index, signature)
    signature.find("ds:SignedInfo/ds:Reference/ds:DigestValue", NS).text = base64.b64encode(digest).decode()
    octets = etree.tostring(signature.find("ds:SignedInfo", NS), method="c14n", exclusive=True)
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(key.sign(octets, ec.ECDSA(hashes.SHA256())))
    signature.find("ds:SignatureValue", NS).text = base64.b64encode(
        r.to_bytes(32, "big") + s.to_bytes(32, "big")
    ).decode()


def _to_prepayment(root) -> None:
    mode = find(root, "sr:Body/sr:UpdatePaymentMode")
    mode.remove(find(mode, "sr:Credit"))
    prepayment = etree.SubElement(mode, f"{{{SR}}}Prepayment")
    for tag, value in (
        ("SuspendDebtDisabled", "true"),
        ("SuspendDebtEmergency", "true"),
        ("DisablementThreshold", "0"),
    ):
        etree.SubElement(prepayment, f"{{{SR}}}{tag}").text = value


def _ref(root):
    return find(root, "ds:Signature/ds:SignedInfo/ds:Reference")


def _set_alg(path, algorithm):
    def change(root):
        find(root, f"ds:Signature/ds:SignedInfo/{path}").set("Algorithm", algorithm)

    return change


def _add_transform(algorithm, xpath=None):
    def change(root):
        transforms = find(root, "ds:Signature/ds:SignedInfo/ds:Reference/ds:Transforms")
        transform = etree.SubElement(transforms, ds("Transform"), Algorithm=algorithm)
        if xpath:
            etree.SubElement(transform, ds("XPath")).text = xpath

    return change


def _set_uri(uri):
    def change(root):
        if uri is None:
            del _ref(root).attrib["URI"]
        else:
            _ref(root).set("URI", uri)

    return change


def _keyinfo_text(path, text):
    def change(root):
        find(root, f"ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509IssuerSerial/{path}").text = text

    return change


def _wrap_original_body_in_header(root):
    # Classic wrapping: keep a copy of the signed Body somewhere a naive verifier might look, change the real one.
    wrapper = etree.SubElement(find(root, "sr:Header"), f"{{{SR}}}Wrapper")
    wrapper.append(deep(find(root, "sr:Body")))
    _to_prepayment(root)


def _wrap_original_in_object(root):
    # Wrapping via ds:Object: the original document inside the Signature, an evil Body outside.
    obj = etree.SubElement(sig(root), ds("Object"))
    obj.append(deep(find(root, "sr:Body")))
    _to_prepayment(root)


def _move_signature_into_body(root, world=None):
    find(root, "sr:Body").append(sig(root))


def _comment_in_text(root):
    request_id = find(root, "sr:Header/sr:RequestID")
    first, _, rest = request_id.text.rpartition(":")
    request_id.text = first + ":"
    comment = etree.Comment(" injected ")
    request_id.append(comment)
    comment.tail = rest


def _der_signature_value(root):
    value = find(root, "ds:Signature/ds:SignatureValue")
    raw = base64.b64decode(value.text)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    value.text = base64.b64encode(der).decode()


# (id, change(root, world), expected code, expected signer_code)
TREE_CASES = [
    ("signature-inside-body", _move_signature_into_body, "signature-not-last-child", None),
    ("element-after-signature", lambda r, w: etree.SubElement(r, f"{{{SR}}}Extra"), "signature-not-last-child", None),
    ("signature-first-child", lambda r, w: r.insert(0, sig(r)), "signature-not-last-child", None),
    ("second-signature-in-header", lambda r, w: find(r, "sr:Header").append(deep(sig(r))), "multiple-signatures", None),
    ("two-signatures-at-end", lambda r, w: r.append(deep(sig(r))), "multiple-signatures", None),
    ("uri-id", lambda r, w: _set_uri("#id")(r), "reference-not-whole-document", None),
    ("uri-xpointer", lambda r, w: _set_uri("#xpointer(/)")(r), "reference-not-whole-document", None),
    ("uri-missing", lambda r, w: _set_uri(None)(r), "reference-not-whole-document", None),
    ("reference-type-attribute", lambda r, w: _ref(r).set("Type", "x"), "reference-not-whole-document", None),
    ("extra-reference", lambda r, w: _ref(r).addnext(deep(_ref(r))), "multiple-references", None),
    ("extra-exc-c14n-transform", lambda r, w: _add_transform(xmldsig.ALG_EXC_C14N)(r), "bad-transforms", None),
    (
        "extra-xpath-transform",
        lambda r, w: _add_transform("http://www.w3.org/TR/1999/REC-xpath-19991116", "not(ancestor::sr:Body)")(r),
        "bad-transforms",
        None,
    ),
    ("no-transforms", lambda r, w: _ref(r).remove(find(_ref(r), "ds:Transforms")), "bad-transforms", None),
    (
        "transform-not-enveloped",
        lambda r, w: find(_ref(r), "ds:Transforms/ds:Transform").set("Algorithm", xmldsig.ALG_EXC_C14N),
        "bad-transforms",
        None,
    ),
    (
        "rsa-sha256",
        lambda r, w: _set_alg("ds:SignatureMethod", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")(r),
        "bad-algorithm",
        None,
    ),
    (
        "ecdsa-sha1",
        lambda r, w: _set_alg("ds:SignatureMethod", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1")(r),
        "bad-algorithm",
        None,
    ),
    (
        "digest-sha1",
        lambda r, w: _set_alg("ds:Reference/ds:DigestMethod", "http://www.w3.org/2000/09/xmldsig#sha1")(r),
        "bad-algorithm",
        None,
    ),
    (
        "inclusive-c14n-signedinfo",
        lambda r, w: _set_alg("ds:CanonicalizationMethod", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315")(r),
        "bad-algorithm",
        None,
    ),
    (
        "exc-c14n-with-comments",
        lambda r, w: _set_alg("ds:CanonicalizationMethod", "http://www.w3.org/2001/10/xml-exc-c14n#WithComments")(r),
        "bad-algorithm",
        None,
    ),
    (
        "inclusive-namespaces-prefix-list",
        lambda r, w: etree.SubElement(
            find(r, "ds:Signature/ds:SignedInfo/ds:CanonicalizationMethod"),
            "{http://www.w3.org/2001/10/xml-exc-c14n#}InclusiveNamespaces",
            PrefixList="sr",
        ),
        "bad-algorithm",
        None,
    ),
    ("body-changed-to-prepayment", lambda r, w: _to_prepayment(r), "digest-mismatch", None),
    (
        "counter-changed",
        lambda r, w: setattr(find(r, "sr:Header/sr:RequestID"), "text", find(r, "sr:Header/sr:RequestID").text + "0"),
        "digest-mismatch",
        None,
    ),
    ("wrapped-body-in-header", lambda r, w: _wrap_original_body_in_header(r), "digest-mismatch", None),
    ("wrapped-body-in-ds-object", lambda r, w: _wrap_original_in_object(r), "bad-signature-structure", None),
    (
        "element-appended-to-body",
        lambda r, w: etree.SubElement(find(r, "sr:Body"), f"{{{SR}}}UpdatePaymentMode"),
        "digest-mismatch",
        None,
    ),
    (
        "attribute-added-to-root",
        lambda r, w: r.set("schemaVersion", "5.3"),
        "digest-mismatch",
        None,
    ),
    (
        "keyinfo-with-attacker-certificate",
        lambda r, w: (
            _to_prepayment(r),
            _resign_in_place(r, w["attacker_key"]),
            etree.SubElement(find(r, "ds:Signature/ds:KeyInfo/ds:X509Data"), ds("X509Certificate")).__setattr__(
                "text",
                base64.b64encode(_attacker_cert(w["attacker_key"]).public_bytes(serialization.Encoding.DER)).decode(),
            ),
        ),
        "bad-keyinfo",
        None,
    ),
    (
        "keyinfo-with-keyvalue",
        lambda r, w: etree.SubElement(find(r, "ds:Signature/ds:KeyInfo"), ds("KeyValue")),
        "bad-keyinfo",
        None,
    ),
    (
        "attacker-key-claims-victim-serial",
        lambda r, w: (_to_prepayment(r), _resign_in_place(r, w["attacker_key"])),
        "bad-signature",
        None,
    ),
    (
        "issuer-name-mismatch",
        lambda r, w: _keyinfo_text("ds:X509IssuerName", "CN=Z2,OU=07")(r),
        "unknown-signer",
        "issuer-mismatch",
    ),
    (
        "issuer-name-placeholder",
        lambda r, w: _keyinfo_text("ds:X509IssuerName", "CN=U1, OU=07")(r),
        "unknown-signer",
        "issuer-mismatch",
    ),
    (
        "serial-of-another-certificate",
        lambda r, w: _keyinfo_text(
            "ds:X509SerialNumber", str(w["certs"][cases.NETWORK_OPERATOR_XML_SIGN].serial_number)
        )(r),
        "bad-signature",
        None,
    ),
    (
        "serial-unknown",
        lambda r, w: _keyinfo_text("ds:X509SerialNumber", "1234567890")(r),
        "unknown-signer",
        "unknown-certificate",
    ),
    ("serial-hex", lambda r, w: _keyinfo_text("ds:X509SerialNumber", "0x14BE")(r), "bad-keyinfo", None),
    ("serial-negative", lambda r, w: _keyinfo_text("ds:X509SerialNumber", "-5")(r), "bad-keyinfo", None),
    ("serial-leading-zero", lambda r, w: _keyinfo_text("ds:X509SerialNumber", "0123")(r), "bad-keyinfo", None),
    ("issuer-empty", lambda r, w: _keyinfo_text("ds:X509IssuerName", " ")(r), "bad-keyinfo", None),
    ("no-keyinfo", lambda r, w: sig(r).remove(find(r, "ds:Signature/ds:KeyInfo")), "bad-keyinfo", None),
    ("comment-injected-in-signed-text", lambda r, w: _comment_in_text(r), "comment-forbidden", None),
    (
        "whitespace-injected-in-signed-text",
        lambda r, w: setattr(find(r, "sr:Header/sr:ServiceReference"), "text", " 1.6"),
        "digest-mismatch",
        None,
    ),
    (
        "whitespace-between-elements",
        lambda r, w: setattr(find(r, "sr:Header"), "text", "\n  "),
        "digest-mismatch",
        None,
    ),
    (
        "pi-inside-body",
        lambda r, w: find(r, "sr:Body").append(etree.ProcessingInstruction("evil", "x")),
        "pi-forbidden",
        None,
    ),
    ("der-signature-value", lambda r, w: _der_signature_value(r), "bad-signature-structure", None),
    (
        "signature-value-not-base64",
        lambda r, w: setattr(find(r, "ds:Signature/ds:SignatureValue"), "text", "!!"),
        "bad-signature-structure",
        None,
    ),
    (
        "signature-value-flipped-bit",
        lambda r, w: setattr(
            find(r, "ds:Signature/ds:SignatureValue"),
            "text",
            base64.b64encode(
                bytes([base64.b64decode(find(r, "ds:Signature/ds:SignatureValue").text)[0] ^ 1])
                + base64.b64decode(find(r, "ds:Signature/ds:SignatureValue").text)[1:]
            ).decode(),
        ),
        "bad-signature",
        None,
    ),
    ("signature-id-attribute", lambda r, w: sig(r).set("Id", "s1"), "bad-signature-structure", None),
    (
        "signature-in-other-namespace",
        lambda r, w: setattr(sig(r), "tag", "{http://example.com/fake}Signature"),
        "unsigned",
        None,
    ),
]


@pytest.mark.parametrize(("change", "code", "signer_code"), [c[1:] for c in TREE_CASES], ids=[c[0] for c in TREE_CASES])
def test_tampered_document_refused(world, resolver, change, code, signer_code):
    root = etree.fromstring(world["signed"])
    change(root, world)
    tampered = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    assert tampered != world["signed"]
    with pytest.raises(xmldsig.SignatureRejected) as info:
        xmldsig.verify(tampered, resolver=resolver)
    assert info.value.code == code, info.value.message
    assert info.value.signer_code == signer_code


def test_untampered_document_verifies(world, resolver):
    # The control for the table above: the same round trip without a change verifies, with the signer,
    # the signed content and the KeyInfo the document carries.
    root = etree.fromstring(world["signed"])
    round_trip = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    result = xmldsig.verify(round_trip, resolver=resolver)
    supplier = world["certs"][cases.SUPPLIER_XML_SIGN]
    assert result.signer.x509() == supplier
    assert (result.issuer_name, result.serial) == ("CN=Z1,OU=07", supplier.serial_number)
    assert result.root.findtext("sr:Header/sr:RequestID", namespaces=NS).endswith(":77")
    assert result.root.find(".//ds:Signature", NS) is None
    assert resolver.calls == 1


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b']><sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway">&lol9;</sr:Request>'
)


def _undeclared(signed: bytes) -> str:
    """The signed document as text without its XML declaration (so only the bytes can say the encoding)."""
    return signed.decode().split("?>", 1)[1]


def _with_doctype(signed: bytes) -> bytes:
    return signed.replace(b"?>", b'?><!DOCTYPE sr:Request [<!ENTITY x "Credit">]>', 1)


RAW_CASES = [
    ("billion-laughs", lambda s: BILLION_LAUGHS, "dtd-forbidden"),
    ("doctype-before-signed-doc", _with_doctype, "dtd-forbidden"),
    (
        "external-dtd",
        lambda s: s.replace(b"?>", b'?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/x.dtd">', 1),
        "dtd-forbidden",
    ),
    ("utf16-doctype", lambda s: _with_doctype(s).decode().encode("utf-16"), "bad-encoding"),
    ("oversized", lambda s: s + b" " * (1024 * 1024), "too-large"),
    ("empty", lambda s: b"", "empty"),
    ("whitespace-only", lambda s: b" \n\t ", "empty"),
    ("non-utf8-garbage", lambda s: bytes(range(256)) * 4, "bad-encoding"),
    ("invalid-utf8-in-text", lambda s: s.replace(b":77<", b":77\xc3\x28<"), "bad-encoding"),
    ("overlong-utf8", lambda s: s.replace(b":77<", b":77\xc0\xbc<"), "bad-encoding"),
    ("surrogate-in-utf8", lambda s: s.replace(b":77<", b":77\xed\xa0\x80<"), "bad-encoding"),
    ("latin1-undeclared", lambda s: s.replace(b":77<", b":77\xe9<"), "bad-encoding"),
    ("latin1-declared", lambda s: s.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"'), "bad-encoding"),
    ("utf16", lambda s: s.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"), "bad-encoding"),
    # Issue 7 point 5: a BOM and no declaration was accepted (lxml reports UTF-8 for it).
    ("utf16le-bom-no-declaration", lambda s: b"\xff\xfe" + _undeclared(s).encode("utf-16-le"), "bad-encoding"),
    ("utf16be-bom-no-declaration", lambda s: b"\xfe\xff" + _undeclared(s).encode("utf-16-be"), "bad-encoding"),
    ("utf32-bom-no-declaration", lambda s: _undeclared(s).encode("utf-32"), "bad-encoding"),
    ("utf16-no-bom-no-declaration", lambda s: _undeclared(s).encode("utf-16-le"), "bad-encoding"),
    ("nul-byte", lambda s: s.replace(b":77<", b":77\x00<"), "bad-encoding"),
    ("utf16-declared-on-utf8-bytes", lambda s: s.replace(b'encoding="UTF-8"', b"encoding='utf-16'"), "bad-encoding"),
    ("truncated", lambda s: s[:-20], "not-well-formed"),
    ("pi-before-root", lambda s: s.replace(b"?>", b'?><?xml-stylesheet href="x.xsl"?>', 1), "pi-forbidden"),
    ("comment-after-root", lambda s: s + b"<!-- trailer -->", "comment-forbidden"),
    ("undefined-entity", lambda s: s.replace(b":77<", b":77&x;<"), "not-well-formed"),
]


@pytest.mark.parametrize(("make", "code"), [c[1:] for c in RAW_CASES], ids=[c[0] for c in RAW_CASES])
def test_hostile_bytes_refused(world, resolver, make, code):
    with pytest.raises(xmldsig.SignatureRejected) as info:
        xmldsig.verify(make(world["signed"]), resolver=resolver)
    assert info.value.code == code, info.value.message
    assert resolver.calls == 0  # refused before the signer was even looked up


def test_structure_is_checked_before_any_lookup_or_crypto(world, resolver, monkeypatch):
    def no_crypto(*args, **kwargs):
        raise AssertionError("crypto ran before the structural checks refused the document")

    monkeypatch.setattr(xmldsig, "_check_signature_value", no_crypto)
    root = etree.fromstring(world["signed"])
    _set_uri("#xpointer(/)")(root)
    with pytest.raises(xmldsig.SignatureRejected) as info:
        xmldsig.verify(etree.tostring(root), resolver=resolver)
    assert info.value.code == "reference-not-whole-document"
    assert resolver.calls == 0


def test_smaller_size_limit_is_honoured(world, resolver):
    with pytest.raises(xmldsig.SignatureRejected) as info:
        xmldsig.verify(world["signed"], resolver=resolver, max_bytes=len(world["signed"]) - 1)
    assert info.value.code == "too-large"
    xmldsig.verify(world["signed"], resolver=resolver, max_bytes=len(world["signed"]))


def test_revocation_takes_effect_despite_key_cache(world, resolver):
    xmldsig.verify(world["signed"], resolver=resolver)
    xmldsig.verify(world["signed"], resolver=resolver)  # second call served by the key cache
    resolver.revoked.add(world["certs"][cases.SUPPLIER_XML_SIGN].serial_number)
    with pytest.raises(xmldsig.SignatureRejected) as info:
        xmldsig.verify(world["signed"], resolver=resolver)
    assert (info.value.code, info.value.signer_code) == ("unknown-signer", "revoked")
    assert resolver.calls == 3


def test_verified_tree_is_exactly_the_signed_octets(world, resolver):
    result = xmldsig.verify(world["signed"], resolver=resolver)
    digest = find(etree.fromstring(world["signed"]), "ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestValue").text
    assert hashlib.sha256(result.signed_octets).digest() == base64.b64decode(digest)
    assert etree.tostring(result.tree, method="c14n") == result.signed_octets
    assert result.root.find(".//ds:Signature", NS) is None


def test_resolver_errors_that_are_not_rejections_propagate(world):
    def broken(*args, **kwargs):
        raise RuntimeError("database down")

    # An outage must not be reported as a bad signature (the caller answers 5xx, not 4xx).
    with pytest.raises(RuntimeError):
        xmldsig.verify(world["signed"], resolver=broken)


def test_str_input_refused(world, resolver):
    with pytest.raises(TypeError):
        xmldsig.verify(world["signed"].decode(), resolver=resolver)
