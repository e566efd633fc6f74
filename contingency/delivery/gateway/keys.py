"""The simulated world's GBCS keys (the simulator's :class:`~.meter.MeterKeys`), and wrapping a command for a device.

A real comms hub never shows the DCC a device's private keys, and the Access Control Broker's Key Agreement key
belongs in an HSM. The simulator has neither, so it makes them: each simulated device's Key Agreement and Digital
Signing keys, the ACB's Key Agreement key and every other remote party's Key Agreement key are derived
(HKDF-SHA256) from Django's ``SECRET_KEY`` and the EUI. Every process of one installation (web, workers) derives
the same keys, and nothing is stored. They are keys of the simulation only (docs/device-gateway.md).

What a meter trusts for its Supplier's commands is real: the Digital Signing certificates held by the registered
Supplier's User ID in the SMKI repository, revoked ones included (a meter holds no CRL: it obeys the failed
Supplier's key until it is replaced, which is why the SRP can sign with it; DESIGN §2 step 5).
"""

from __future__ import annotations

from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from pki.models import Certificate, CertificateKind

from ...gbcs.frame import eui_bytes
from .meter import mac_wrap

_ORDER = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)  # P-256's group order


@lru_cache(maxsize=4096)
def _derived(secret: str, purpose: str, eui: str) -> ec.EllipticCurvePrivateKey:
    raw = HKDF(algorithm=hashes.SHA256(), length=40, salt=b"solr-device-gateway",
               info=purpose.encode() + eui_bytes(eui)).derive(secret.encode())
    return ec.derive_private_key(int.from_bytes(raw, "big") % (_ORDER - 1) + 1, ec.SECP256R1())


@lru_cache(maxsize=1024)
def _public_key(der: bytes) -> ec.EllipticCurvePublicKey:
    """A certificate's public key, parsed once per process (every command to a Supplier's meters asks)."""
    return x509.load_der_x509_certificate(der).public_key()


def _key(purpose: str, eui: str) -> ec.EllipticCurvePrivateKey:
    return _derived(settings.SECRET_KEY, purpose, eui)


def acb_key_agreement_key() -> ec.EllipticCurvePrivateKey:
    """The (simulated) Access Control Broker's Key Agreement key, whose MAC the DCC puts on every command."""
    return _key("acb-ka", settings.DCC_USER_ID)


def device_key_agreement_key(device: str) -> ec.EllipticCurvePrivateKey:
    return _key("device-ka", device)


def device_signing_key(device: str) -> ec.EllipticCurvePrivateKey:
    return _key("device-ds", device)


def party_key_agreement_key(party: str) -> ec.EllipticCurvePrivateKey:
    return _key("party-ka", party)


def wrap_for_device(apdu: bytes, device: str) -> bytes:
    """The command as sent to ``device``: ``apdu`` (a Signed Pre-Command, or an unsigned one for a SMETS1 service
    provider) in a General-Ciphering APDU with the ACB's MAC (contingency.gbcs.command's layout)."""
    return mac_wrap(apdu, acb_key_agreement_key(), device_key_agreement_key(device).public_key())


class SimulatedKeys:
    """MeterKeys of the simulated devices (see the module's docstring)."""

    def acb_pair(self, device: str):
        return device_key_agreement_key(device), acb_key_agreement_key().public_key()

    def party_pair(self, device: str, party: str):
        return device_key_agreement_key(device), party_key_agreement_key(party).public_key()

    def supplier_signing_keys(self, device: str, supplier: str):
        ders = Certificate.objects.held_by(supplier).filter(kind=CertificateKind.DIGITAL_SIGNING).values_list(
            "der", flat=True)
        return [_public_key(bytes(der)) for der in ders]

    def device_signing_key(self, device: str):
        return device_signing_key(device)
