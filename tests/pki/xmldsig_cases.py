"""Shared helpers for the XML-signature tests: vector files, the ZAZ1 keys, an in-test resolver, tampering.

Vectors are read from ../shared/vectors (the ``vectors_dir`` fixture), never copied into the project.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_der_private_key
from lxml import etree

from pki import xmldsig
from pki.names import rfc2253

DS = xmldsig.DS_NS
SR = "http://www.dccinterface.co.uk/ServiceUserGateway"
NS = {"ds": DS, "sr": SR}

KEYS = "dccboxed-signing-tool/keys"
RESPONSES = "dccboxed-signing-tool/responses"
SRV16_TEMPLATE = "duis-templates/templates/ECS02_1.6_IMMEDIATE_SINGLE_SUCCESS_REQUEST_DUIS.XML"
ECS52_RESPONSE = "duis-templates/test-data/ECS52_11.2_SUCCESS_RESPONSE_DUIS.XML"

SUPPLIER_XML_SIGN = "xml-sign-90B3D51F30010000-ds"  # ZAZ1 supplier XML signing (OU 87), 2018–2118
NETWORK_OPERATOR_XML_SIGN = "xml-sign-90B3D51F30020000-ds"

#: The real signed DCC Boxed responses and the certificate (keys/<name>.pem) that signed each (vectors README).
SIGNED_VECTORS = {
    f"{RESPONSES}/message.xml": "Z1-accessControlBroker-ds",
    f"{RESPONSES}/readfw-response.xml": "dsp-xml-sign-90B3D51F30000002-ds-pre-1.4.1",
    f"{RESPONSES}/readfw-response-resigned.xml": "Z1-accessControlBroker-dSPXmlSign",
    f"{RESPONSES}/read-inventory-response-5.4.xml": "Z1-accessControlBroker-dSPXmlSign",
    f"{RESPONSES}/read-inventory-response-4g.xml": "dsp-xml-sign-90B3D51F30000002-ds",
    ECS52_RESPONSE: "Z1-accessControlBroker-ds",
}

#: Vectors that must be refused, with the code (and, for unknown-signer, the repository's code).
REFUSED_VECTORS = {
    f"{RESPONSES}/readfw-response-badsignature.xml": ("bad-signature", None),
    f"{RESPONSES}/readfw-response-nonexist-serial.xml": ("unknown-signer", "unknown-certificate"),
    f"{RESPONSES}/readfw-response-no-serial.xml": ("bad-keyinfo", None),
    f"{RESPONSES}/readfw-response-invalid.xml": ("digest-mismatch", None),
    f"{RESPONSES}/readfw-response-no-signature.xml": ("unsigned", None),
}


def load_cert(vectors_dir: Path, name: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((vectors_dir / KEYS / f"{name}.pem").read_bytes())


def load_key(vectors_dir: Path, name: str):
    """signing-tool ``.key`` files are DER PKCS#8 (vectors README)."""
    return load_der_private_key((vectors_dir / KEYS / f"{name}.key").read_bytes(), password=None)


def all_vector_certs(vectors_dir: Path) -> dict[str, x509.Certificate]:
    certs = {}
    for path in sorted((vectors_dir / KEYS).glob("*.pem")):
        if path.name.endswith(".key.pem"):
            continue
        certs[path.stem] = x509.load_pem_x509_certificate(path.read_bytes())
    return certs


def FakeSignerRejected(code: str, message: str = ""):  # noqa: N802 - reads like the exception it builds
    """The resolver contract's exception: the verifier recognises only that class as a signer verdict."""
    return xmldsig.SignerRefused(code, message)


@dataclass
class FakeCertificate:
    """The parts of pki.models.Certificate that the verifier uses."""

    cert: x509.Certificate
    kind: str

    def x509(self):
        return self.cert

    def public_key(self):
        return self.cert.public_key()

    @property
    def serial(self) -> str:
        return str(self.cert.serial_number)

    @property
    def issuer_name(self) -> str:
        return rfc2253(self.cert.issuer)


def kind_of(cert: x509.Certificate) -> str:
    ou = cert.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value
    # OU = remote-party role in hex (reference §4): 87 xmlSign, 89 dspXmlSign; the pre-1.4.1 DSP cert says "137".
    return "xml-signing" if ou in ("87", "89", "137") else "digital-signing"


class FakeResolver:
    """An in-test repository: issuer + serial lookup, kind filter, revocation; counts its calls."""

    def __init__(self, certs):
        self.by_serial = {c.serial_number: FakeCertificate(c, kind_of(c)) for c in certs}
        self.revoked: set[int] = set()
        self.calls = 0

    def __call__(self, issuer_name: str, serial: int, *, at=None, kinds=("xml-signing",)):
        self.calls += 1
        cert = self.by_serial.get(serial)
        if cert is None:
            raise FakeSignerRejected("unknown-certificate", f"no certificate with serial {serial}")
        if cert.issuer_name != issuer_name:
            raise FakeSignerRejected("issuer-mismatch", f"{issuer_name!r} is not {cert.issuer_name!r}")
        if serial in self.revoked:
            raise FakeSignerRejected("revoked", "revoked")
        if cert.kind not in kinds:
            raise FakeSignerRejected("wrong-kind", cert.kind)
        return cert


def srv16_request(vectors_dir: Path, counter: int = 1002) -> etree._Element:
    """The SRV 1.6 → Credit template with a given counter (the placeholder Signature still in it)."""
    root = etree.fromstring((vectors_dir / SRV16_TEMPLATE).read_bytes())
    request_id = root.find("sr:Header/sr:RequestID", NS)
    originator, target, _ = request_id.text.split(":")
    request_id.text = f"{originator}:{target}:{counter}"
    return root


# ------------------------------------------------------------------------------------------------
# Tampering helpers: each takes the signed document as bytes and returns bytes.
# ------------------------------------------------------------------------------------------------


def edit(signed: bytes, change) -> bytes:
    root = etree.fromstring(signed)
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def sig(root):
    return root.find("ds:Signature", NS)


def find(root, path):
    return root.find(path, NS)


def ds(tag: str) -> str:
    return f"{{{DS}}}{tag}"


def deep(element):
    return copy.deepcopy(element)
