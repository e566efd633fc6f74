"""The alerts tests' world (a plain helper module, no tests): a Supplier with a meter, the SRP that serves it
with its SoLR Contingency User ID, the DCC's XML signing identity, and an HTTP endpoint the test runs."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management import call_command
from django.utils import timezone

from contingency.models import Activation, Device, Instruction, LicenceRevocation
from pki.dcc_identity import DCC_XML_SIGNING_KEY_REF
from pki.issuance import DCC_POLICY_ROLE
from pki.models import CertificateKind, IssuancePolicy
from portal.models import PartyKind, SRPArrangement, UserID, solr_role_code
from tests.portal.factories import PartyFactory, PersonFactory, UserIDFactory

DCC_EUI = "90-B3-D5-1F-30-00-00-02"
SUPPLIER_EUI = "90-B3-D5-1F-30-01-00-00"
SRP_SOLR_EUI = "90-B3-D5-1F-30-20-00-01"
OTHER_SRP_SOLR_EUI = "90-B3-D5-1F-30-20-00-02"
ESME_EUI = "00-DB-12-34-56-78-90-A0"


@dataclass
class World:
    supplier: UserID
    srp_solr: UserID
    device: Device
    dcc_cert_pem: Path
    operator: object = None

    def revoke_licence(self, at: dt.datetime | None = None) -> LicenceRevocation:
        solr = PartyFactory(kind=PartyKind.SUPPLIER, short_name="solr-supplier")
        return LicenceRevocation.objects.create(supplier=self.supplier.party, effective_at=at or timezone.now(),
                                                solr=solr, recorded_by=self.operator)

    def instruct(self, contingency_user_id: UserID, reference: str = "OFG-1", **kwargs) -> Instruction:
        now = timezone.now()
        values = dict(reference=reference, supplier=self.supplier.party, contingency_user_id=contingency_user_id,
                      srvs=["1.6"], valid_from=now - dt.timedelta(days=1), valid_to=now + dt.timedelta(days=30),
                      evidence=f"instructions/{reference}.pdf", evidence_name=f"{reference}.pdf",
                      evidence_sha256="0" * 64, evidence_size=1, recorded_by=self.operator)
        values.update(kwargs)
        return Instruction.objects.create(**values)

    def activation(self, instruction: Instruction, state: str) -> Activation:
        return Activation.objects.create(instruction=instruction, supplier=instruction.supplier,
                                         contingency_user_id=instruction.contingency_user_id, state=state,
                                         requested_by=self.operator)


def make_world(tmp_path: Path, *, endpoint: str = "") -> World:
    """Needs the ``smki`` fixture (CAs and a key store) and DCC_USER_ID = DCC_EUI (the default)."""
    dcc = PartyFactory(kind=PartyKind.DCC, short_name="dcc")
    UserIDFactory(eui=DCC_EUI, party=dcc)
    cert_pem = tmp_path / "dcc-xml-signing.cert.pem"
    # A data migration seeds this policy row; a transactional test that ran before may have flushed it.
    IssuancePolicy.objects.get_or_create(role=DCC_POLICY_ROLE, kind=CertificateKind.XML_SIGNING)
    call_command("pki_issue", DCC_EUI, "--kind", "xml-signing", "--into-keystore", DCC_XML_SIGNING_KEY_REF,
                 "--out", str(cert_pem))
    supplier_party = PartyFactory(kind=PartyKind.SUPPLIER, short_name="failing-energy")
    supplier = UserIDFactory(eui=SUPPLIER_EUI, party=supplier_party, roles=["IS"],
                             endpoint_url=f"{endpoint}/supplier" if endpoint else "")
    srp = PartyFactory(kind=PartyKind.SRP, short_name="shared-resource")
    srp_solr = UserIDFactory(eui=SRP_SOLR_EUI, party=srp, roles=[solr_role_code()],
                             endpoint_url=f"{endpoint}/srp" if endpoint else "")
    SRPArrangement.objects.create(srp=srp, supplier=supplier_party, valid_from=dt.date(2020, 1, 1))
    device = Device.objects.create(eui=ESME_EUI, device_type="ESME", esme_variant="single", generation="SMETS2",
                                   smi_status="commissioned", payment_mode="prepayment", registered_supplier=supplier,
                                   mpxn="1234567890123")
    return World(supplier=supplier, srp_solr=srp_solr, device=device, dcc_cert_pem=cert_pem,
                 operator=PersonFactory(username="dcc.operator1"))


def other_srp_solr_uid() -> UserID:
    return UserIDFactory(eui=OTHER_SRP_SOLR_EUI, party=PartyFactory(kind=PartyKind.SRP, short_name="other-srp"),
                         roles=[solr_role_code()])


@dataclass
class Received:
    path: str
    content_type: str
    body: bytes
    status: int


@dataclass
class Endpoint:
    """An HTTP endpoint in a thread of the test: answers each POST with the next status of ``script`` (then
    ``then`` for ever) and records every request."""

    script: list[int] = field(default_factory=list)
    then: int = 204
    delay: float = 0.0  # seconds before answering (so racing senders overlap)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self):
        endpoint = self
        lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(endpoint.delay)
                with lock:
                    status = endpoint.script.pop(0) if endpoint.script else endpoint.then
                    endpoint.received.append(Received(self.path, self.headers.get("Content-Type", ""), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def accepted(self, path: str | None = None) -> list[Received]:
        return [r for r in self.received if 200 <= r.status < 300 and (path is None or r.path == path)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
