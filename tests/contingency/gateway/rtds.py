"""The RTDS 4.5.0 conformance data the gateway tests read (from ../shared/vectors, never copied): hex files and the
RTDS keystore, and :class:`RtdsKeys`, the simulated meter's keys for the RTDS devices.

RTDS publishes no device private keys: a MAC needs one side's private key and the other side's public key (ECDH
is symmetric), so the ACB's and the Supplier's Key Agreement private keys with the devices' certificates give the
same MAC keys the meter would compute. Responses are signed with a key made for the test (RTDS's device signature
cannot be reproduced): comparisons with RTDS stop before the signature."""

from __future__ import annotations

from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from tests.conftest import VECTORS_DIR

GBCS = VECTORS_DIR / "gbcs-parser"
RTDS = GBCS / "rtds-4.5.0"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"
ESME = "00-DB-12-34-56-78-90-A0"
GSME = "00-DB-12-34-56-78-90-A1"
_FILES = {ESME: "00db1234567890a0", GSME: "00db1234567890a1"}


def hex_file(name: str) -> bytes:
    folder = {"ECS02": "1.6_ECS02", "ECS03": "1.6_ECS03", "ECS26j": "6.2.9_ECS26j", "GCS21j": "6.2.9_GCS21j"}
    return bytes.fromhex((RTDS / folder[name.split("_")[0]] / name).read_text().strip())


@cache
def private_key(name: str) -> ec.EllipticCurvePrivateKey:
    return load_pem_private_key((GBCS / "keystore" / name).read_bytes(), None)


@cache
def certificate(name: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((GBCS / "keystore" / name).read_bytes())


class RtdsKeys:
    """MeterKeys (contingency.delivery.gateway.meter) for the RTDS ESME and GSME."""

    def __init__(self):
        self.device_key = ec.generate_private_key(ec.SECP256R1())

    def acb_pair(self, device: str):
        return private_key("90b3d51f30000002-ka.key"), certificate(f"{_FILES[device]}-ka.pem").public_key()

    def party_pair(self, device: str, party: str):
        assert party == SUPPLIER
        return private_key("90b3d51f30010000-ka.key"), certificate(f"{_FILES[device]}-ka.pem").public_key()

    def supplier_signing_keys(self, device: str, supplier: str):
        return [certificate("90b3d51f30010000-ds.pem").public_key()] if supplier == SUPPLIER else []

    def device_signing_key(self, device: str):
        return self.device_key

