"""The front door tests' world (a helper module, no tests): a failed Supplier (licence revoked) with an ESME and a
GSME User ID and their Digital Signing certificates, its meters (SMETS2 single and twin ESMEs, a GSME, a SMETS1
ESME), a healthy Supplier and its meter, the SRP's SoLR Contingency User ID with its XML signing certificate, an
active activation under an Authority instruction for SRV 1.6, and the DCC's own XML signing identity."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from lxml import etree

from contingency.duis.schema import SR_NS
from contingency.models import (
    Activation,
    AdtFile,
    AdtFileState,
    AdtThreshold,
    Device,
    Instruction,
    RejectedRequest,
    ServiceRequest,
)
from contingency.service_matrix.seeding import seed_solr_default
from pki import xmldsig
from pki.dcc_identity import DCC_XML_SIGNING_KEY_REF
from pki.issuance import DCC_POLICY_ROLE, issue_certificate
from pki.models import CertificateKind, IssuancePolicy
from portal.models import PartyKind, UserID, solr_role_code
from tests.helpers.pki import csr_for, p256_key
from tests.portal.factories import PartyFactory, PersonFactory, UserIDFactory

DCC_EUI = "90-B3-D5-1F-30-00-00-02"
FAILED_ES = "90-B3-D5-1F-50-00-01-01"
FAILED_GS = "90-B3-D5-1F-50-00-01-02"
HEALTHY_ES = "90-B3-D5-1F-50-00-02-01"
SOLR_EUI = "90-B3-D5-1F-50-00-09-01"
ESME = "00-DB-50-00-00-00-00-01"
ESME_TWIN = "00-DB-50-00-00-00-00-02"
GSME = "00-DB-50-00-00-00-00-04"
SMETS1_ESME = "00-DB-50-00-00-00-00-05"
OTHER_ESME = "00-DB-50-00-00-00-01-01"
SR = f"{{{SR_NS}}}"
NS = {"sr": SR_NS}


@dataclass
class Signer:
    uid: UserID
    key: object
    cert: object

    def sign(self, root) -> bytes:
        return xmldsig.sign(root, self.key, self.cert)


@dataclass
class World:
    failed_es: UserID
    failed_gs: UserID
    healthy_es: UserID
    solr: Signer
    es_digital: Signer  # the failed Supplier's ESME User ID's Digital Signing key (the SRP holds it)
    gs_digital: Signer
    instruction: Instruction
    activation: Activation
    dcc_cert_pem: Path
    operator: object
    counter: int = 1000
    client: Client = field(default_factory=Client)

    def next_counter(self) -> int:
        self.counter += 1
        return self.counter


def _signer(uid: UserID, kind: str) -> Signer:
    key = p256_key()
    cert = issue_certificate(uid, kind, csr_for(key))
    return Signer(uid, key, cert)


def _meter(eui: str, uid: UserID, device_type: str, *, variant: str = "single", generation: str = "SMETS2") -> Device:
    return Device.objects.create(eui=eui, device_type=device_type, generation=generation, payment_mode="prepayment",
                                 esme_variant=variant if device_type == "ESME" else "", registered_supplier=uid,
                                 smi_status="commissioned", mpxn="")


def _instruct(supplier, solr_uid: UserID, operator, reference: str) -> tuple[Instruction, Activation]:
    now = timezone.now()
    instruction = Instruction.objects.create(
        reference=reference, supplier=supplier, contingency_user_id=solr_uid, srvs=["1.6"],
        valid_from=now - dt.timedelta(days=1), valid_to=now + dt.timedelta(days=30),
        evidence=f"instructions/{reference}.pdf", evidence_name=f"{reference}.pdf", evidence_sha256="0" * 64,
        evidence_size=1, recorded_by=operator)
    activation = Activation.objects.create(instruction=instruction, supplier=supplier, contingency_user_id=solr_uid,
                                           state="active", requested_by=operator)
    return instruction, activation


def make_world(tmp_path: Path) -> World:
    """Needs the ``smki`` fixture (CAs and a key store) and DCC_USER_ID = DCC_EUI (the default)."""
    for role, kind in ((DCC_POLICY_ROLE, CertificateKind.XML_SIGNING), (solr_role_code(), CertificateKind.XML_SIGNING),
                       ("IS", CertificateKind.DIGITAL_SIGNING), ("GS", CertificateKind.DIGITAL_SIGNING)):
        IssuancePolicy.objects.get_or_create(role=role, kind=kind)
    seed_solr_default()  # a transactional test may find the migration's rows flushed by the one before
    UserIDFactory(eui=DCC_EUI, party=PartyFactory(kind=PartyKind.DCC, short_name="dcc"))
    cert_pem = tmp_path / "dcc-xml-signing.cert.pem"
    call_command("pki_issue", DCC_EUI, "--kind", "xml-signing", "--into-keystore", DCC_XML_SIGNING_KEY_REF,
                 "--out", str(cert_pem))
    failed = PartyFactory(kind=PartyKind.SUPPLIER, name="Failed Energy", short_name="failed-energy",
                          licence_status="revoked", licence_revoked_at=timezone.now() - dt.timedelta(days=1))
    healthy = PartyFactory(kind=PartyKind.SUPPLIER, name="Healthy Energy", short_name="healthy-energy")
    srp = PartyFactory(kind=PartyKind.SRP, name="Shared Resource", short_name="shared-resource")
    failed_es = UserIDFactory(eui=FAILED_ES, party=failed, roles=["IS"])
    failed_gs = UserIDFactory(eui=FAILED_GS, party=failed, roles=["GS"])
    healthy_es = UserIDFactory(eui=HEALTHY_ES, party=healthy, roles=["IS"])
    solr_uid = UserIDFactory(eui=SOLR_EUI, party=srp, roles=[solr_role_code()])
    _meter(ESME, failed_es, "ESME")
    _meter(ESME_TWIN, failed_es, "ESME", variant="twin")
    _meter(GSME, failed_gs, "GSME")
    _meter(SMETS1_ESME, failed_es, "ESME", generation="SMETS1")
    _meter(OTHER_ESME, healthy_es, "ESME")
    operator = PersonFactory(username="dcc.operator1")
    instruction, activation = _instruct(failed, solr_uid, operator, "OFG-1")
    return World(failed_es=failed_es, failed_gs=failed_gs, healthy_es=healthy_es,
                 solr=_signer(solr_uid, CertificateKind.XML_SIGNING),
                 es_digital=_signer(failed_es, CertificateKind.DIGITAL_SIGNING),
                 gs_digital=_signer(failed_gs, CertificateKind.DIGITAL_SIGNING),
                 instruction=instruction, activation=activation, dcc_cert_pem=cert_pem, operator=operator)


# --- more of the world: a second failed Supplier, ADT thresholds ----------------------------------------------

SECOND_FAILED_ES = "90-B3-D5-1F-50-00-03-01"
SECOND_SMETS1_ESME = "00-DB-50-00-00-00-03-05"


def add_second_failed_supplier(world: World) -> UserID:
    """Another failed Supplier ("Second Failed", licence revoked) served by the same SRP: its ESME User ID
    SECOND_FAILED_ES, a SMETS1 prepayment ESME SECOND_SMETS1_ESME, and an active activation for the SRP's SoLR
    Contingency User ID under an instruction of its own. Returns the Supplier's User ID."""
    party = PartyFactory(kind=PartyKind.SUPPLIER, name="Second Failed", short_name="second-failed",
                         licence_status="revoked", licence_revoked_at=timezone.now() - dt.timedelta(days=1))
    uid = UserIDFactory(eui=SECOND_FAILED_ES, party=party, roles=["IS"])
    _meter(SECOND_SMETS1_ESME, uid, "ESME", generation="SMETS1")
    _instruct(party, world.solr.uid, world.operator, "OFG-2")
    return uid


SECOND_SOLR_EUI = "90-B3-D5-1F-50-00-0A-01"


def add_second_sender(world: World) -> Signer:
    """Another SRP's SoLR Contingency User ID (SECOND_SOLR_EUI) with its XML signing certificate, instructed for and
    actively acting on the same failed Supplier as the world's SRP (instruction "OFG-3")."""
    srp = PartyFactory(kind=PartyKind.SRP, name="Other Shared Resource", short_name="other-shared-resource")
    uid = UserIDFactory(eui=SECOND_SOLR_EUI, party=srp, roles=[solr_role_code()])
    _instruct(world.failed_es.party, uid, world.operator, "OFG-3")
    return _signer(uid, CertificateKind.XML_SIGNING)


def adt_threshold(world: World, target: UserID, *, warning: int = 1000, quarantine: int = 1000,
                  window_minutes: int = 1440, srv: str = "1.6", active: bool = True,
                  sender: UserID | None = None) -> AdtThreshold:
    """An ADT row of the sender's SRP (default: the world's SoLR Contingency User ID) for (sender, ``srv``,
    ``target``: a Supplier User ID), in an approved file of its own (the file rules are tested in
    tests/contingency/test_adt_*). The default window is a day, so the warning's once-per-period note does not
    straddle a period boundary while a test runs."""
    sender = sender or world.solr.uid
    adt_file = AdtFile.objects.create(party=sender.party, uploaded_by=PersonFactory(), file_name="adt.csv",
                                      sha256="0" * 64, size=1,
                                      state=AdtFileState.ACTIVE if active else AdtFileState.SUPERSEDED)
    return AdtThreshold.objects.create(file=adt_file, line=2, user_id=sender, srv=srv, target_supplier=target,
                                       warning_level=warning, quarantine_level=quarantine,
                                       window_minutes=window_minutes, active=active)


# --- requests ------------------------------------------------------------------------------------------


def request(request_id: str, cv: int, srv: str = "1.6", body: etree._Element | None = None) -> etree._Element:
    """An unsigned ``sr:Request``; the body defaults to SRV 1.6 to Credit."""
    root = etree.Element(SR + "Request", nsmap={"sr": SR_NS}, schemaVersion="5.4")
    header = etree.SubElement(root, SR + "Header")
    reference = ".".join(srv.split(".")[:2])
    for name, text in (("RequestID", request_id), ("CommandVariant", str(cv)), ("ServiceReference", reference),
                       ("ServiceReferenceVariant", srv)):
        etree.SubElement(header, SR + name).text = text
    etree.SubElement(root, SR + "Body").append(body if body is not None else credit())
    return root


def credit(execution: str | None = None) -> etree._Element:
    element = etree.Element(SR + "UpdatePaymentMode")
    if execution:
        etree.SubElement(element, SR + "ExecutionDateTime").text = execution
    etree.SubElement(element, SR + "Credit")
    return element


def prepayment() -> etree._Element:
    element = etree.Element(SR + "UpdatePaymentMode")
    pre = etree.SubElement(element, SR + "Prepayment")
    for name, text in (("SuspendDebtDisabled", "true"), ("SuspendDebtEmergency", "false"),
                       ("DisablementThreshold", "556677")):
        etree.SubElement(pre, SR + name).text = text
    return element


def read_payment_mode() -> etree._Element:
    return etree.Element(SR + "ReadDeviceConfigurationPaymentMode")


def signed_pre_command(gbcs: bytes) -> etree._Element:
    element = etree.Element(SR + "SignedPreCommand")
    etree.SubElement(element, SR + "GBCSPayload").text = base64.b64encode(gbcs).decode()
    return element


def rid(originator: str, target: str, counter: int) -> str:
    return f"{originator}:{target}:{counter}"


def header(document: bytes, name: str) -> str | None:
    return etree.fromstring(document).findtext(f"sr:Header/sr:{name}", namespaces=NS)


def pre_command_of(document: bytes) -> bytes:
    text = etree.fromstring(document).findtext("sr:Body/sr:ResponseMessage/sr:PreCommand/sr:GBCSPayload",
                                               namespaces=NS)
    return base64.b64decode(text)


def nothing_accepted() -> bool:
    return not ServiceRequest.objects.filter(state__in=["accepted", "quarantined"]).exists()


def payment_modes() -> dict[str, str]:
    return dict(Device.objects.values_list("eui", "payment_mode"))


def rejections() -> list[tuple[str, str]]:
    return list(RejectedRequest.objects.order_by("id").values_list("code", "failed_check"))


# --- whole requests through the front door (``send`` is the conftest's fixture) -----------------------------


def transform_and_sign(world: World, send, device: str, digital: Signer, *, counter: int | None = None,
                       body: etree._Element | None = None):
    """A CV 4 to serviceT, its Pre-Command signed with ``digital`` (the registered Supplier's Digital Signing key)
    and sent back as CV 5 to serviceS: the (I0, I99-or-refusal) replies."""
    from contingency.gbcs import signature

    counter = counter or world.next_counter()
    i0 = send("T", world.solr.sign(request(rid(SOLR_EUI, device, counter), 4, body=body)))
    assert i0.code == "I0", i0.body[:400]
    gbcs = signature.sign(pre_command_of(i0.body), digital.key)
    return i0, send("S", world.solr.sign(request(rid(SOLR_EUI, device, counter), 5, body=signed_pre_command(gbcs))))


def smets1_credit(world: World, send, device: str = SMETS1_ESME, *, counter: int | None = None,
                  sender: Signer | None = None):
    """SRV 1.6 to Credit, CV 1, to a SMETS1 meter at serviceS (one request, accepted at once), from the world's SoLR
    Contingency User ID or ``sender``."""
    sender = sender or world.solr
    return send("S", sender.sign(request(rid(sender.uid.eui, device, counter or world.next_counter()), 1)))
