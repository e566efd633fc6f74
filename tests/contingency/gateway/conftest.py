"""Fixtures of the gateway tests: the alerts tests' world (a Supplier with an ESME, its SRP, the DCC's signing
identity, an HTTP endpoint), plus a gas meter, the Supplier's Digital Signing key from the SMKI, and a gateway whose
clock and sleep the test drives."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from contingency.delivery.gateway.keys import wrap_for_device
from contingency.delivery.gateway.simulator import SimulatedGateway
from contingency.gbcs import precommand as pcm
from contingency.gbcs.signature import sign
from contingency.models import Device
from pki.models import CertificateKind, IssuancePolicy
from portal.models import UserRole
from tests.contingency.alerts.world import Endpoint, make_world

GSME_EUI = "00-DB-12-34-56-78-90-A1"


@dataclass
class Clock:
    now: dt.datetime
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> dt.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def endpoint():
    server = Endpoint()
    yield server
    server.close()


@pytest.fixture
def world(smki, tmp_path, endpoint, settings, monkeypatch):
    monkeypatch.setenv("SOLR_ALLOW_INSECURE_ENDPOINTS", "1")
    settings.SOLR_ALLOW_INSECURE_ENDPOINTS = True
    with override_settings(DCC_USER_ID="90-B3-D5-1F-30-00-00-02"):
        w = make_world(tmp_path, endpoint=endpoint.url)
        # A data migration seeds this policy row; a transactional test that ran before may have flushed it.
        IssuancePolicy.objects.get_or_create(role="IS", kind=CertificateKind.DIGITAL_SIGNING)
        key_path = tmp_path / "supplier-ds.key.pem"
        call_command("pki_issue", w.supplier.eui, "--kind", "digital-signing", "--generate-key", str(key_path),
                     "--out", str(tmp_path / "supplier-ds.cert.pem"))
        w.supplier_key = load_pem_private_key(key_path.read_bytes(), None)
        UserRole.objects.create(holder=w.supplier, role="GS")  # a dual-fuel Supplier: it may hold gas meters too
        w.gas = Device.objects.create(eui=GSME_EUI, device_type="GSME", generation="SMETS2", smi_status="commissioned",
                                      payment_mode="prepayment", registered_supplier=w.supplier, mpxn="1234567")
        yield w


@pytest.fixture
def clock():
    return Clock(timezone.now().replace(microsecond=0))


@pytest.fixture
def gateway(clock):
    return SimulatedGateway(clock=clock, sleep=clock.sleep)


def command(world, device: Device, counter: int, *, execution=None, prepayment=None, key=None, signed=True) -> bytes:
    """The command as sent to ``device``: an SRV 1.6 Pre-Command in the Supplier's name, signed with its Digital
    Signing key (or ``key``), with the (simulated) ACB's MAC."""
    if device.device_type == "ESME":
        apdu = pcm.esme_precommand(originator=world.supplier.eui, device=device.eui, counter=counter,
                                   execution=execution, variant=device.esme_variant, prepayment=prepayment)
    else:
        apdu = pcm.gsme_precommand(originator=world.supplier.eui, device=device.eui, counter=counter,
                                   issuer_event_id=counter, execution=execution, prepayment=prepayment)
    if signed:
        apdu = sign(apdu, key or world.supplier_key)
    return wrap_for_device(apdu, device.eui)
