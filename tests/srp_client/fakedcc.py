"""A fake DCC for the SRP client's tests (a helper module, no tests): throwaway SMKI-like credentials made with
``cryptography``, and a tiny HTTP server in a thread that answers ``/api/v1/serviceT`` and ``/serviceS`` as the
front door does (docs/duis-checks.md): it verifies the request's signature with the SRP's certificate, reads it with
the real ``contingency.duis.requests`` parser, refuses a counter that does not increase per device (409), builds the
real Pre-Command with ``contingency.gbcs`` (originator = the device's registered Supplier), checks the Signed
Pre-Command with ``contingency.gbcs.check`` and answers I0 / I99 signed with a test DCC key. Knobs let a test
break one thing: the status of the next answers, the Pre-Command (another device, Prepayment, another counter),
the signature (none, another key), a push of the Service Response or of a quarantine alert to a receiver."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID
from lxml import etree

from contingency.duis import alerts, requests, responses
from contingency.gbcs import precommand as pcm
from contingency.gbcs.check import check_signed_precommand
from contingency.gbcs.errors import GbcsRefused
from contingency.gbcs.frame import CRA_RESPONSE, Frame
from pki import xmldsig

DCC_EUI = "90-B3-D5-1F-30-00-00-02"
SRP_EUI = "90-B3-D5-1F-30-20-00-01"
SUPPLIER_ES = "90-B3-D5-1F-30-10-01-01"  # the failed Supplier's import supplier User ID (ESMEs)
SUPPLIER_GS = "90-B3-D5-1F-30-10-01-02"  # its gas supplier User ID (GSMEs)
OTHER_SUPPLIER = "90-B3-D5-1F-30-10-03-01"
ESME = "00-DB-12-01-00-00-00-00"
ESME_TWIN = "00-DB-12-01-00-00-00-05"
GSME = "00-DB-12-01-00-00-00-03"
OTHER_ESME = "00-DB-12-01-00-00-00-01"
SMETS1_ESME = "00-DB-12-01-00-00-00-07"
DEVICES = {ESME: ("ESME", SUPPLIER_ES, "single"), ESME_TWIN: ("ESME", SUPPLIER_ES, "twin"),
           GSME: ("GSME", SUPPLIER_GS, None), OTHER_ESME: ("ESME", SUPPLIER_ES, "single"),
           SMETS1_ESME: ("ESME", SUPPLIER_ES, "single")}
SMETS1 = {SMETS1_ESME}
X500_UNIQUE_IDENTIFIER = x509.ObjectIdentifier("2.5.4.45")
NOW = dt.datetime.now(dt.UTC)


@dataclass
class Credential:
    eui: str
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    def write(self, directory: Path) -> tuple[Path, Path]:
        name = self.eui.replace("-", "")
        key_path, cert_path = directory / f"{name}.key.pem", directory / f"{name}.cert.pem"
        key_path.write_bytes(self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
        cert_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        return key_path, cert_path


class TestCA:
    __test__ = False  # not a test class

    def __init__(self, common_name: str = "T1"):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "07"),
                               x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    def issue(self, eui: str, *, role: str = "07", serial: int | None = None, key=None) -> Credential:
        key = key or ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role),
            x509.NameAttribute(X500_UNIQUE_IDENTIFIER, b"\x00" + bytes.fromhex(eui.replace("-", "")),
                               _type=_ASN1Type.BitString),
        ])
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(self.name).public_key(key.public_key())
                .serial_number(serial or x509.random_serial_number())
                .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=30))
                .sign(self.key, hashes.SHA256()))
        return Credential(eui, key, cert)


@dataclass
class World:
    ca: TestCA
    dcc: Credential
    srp: Credential
    supplier_es: Credential
    supplier_gs: Credential


def make_world() -> World:
    ca = TestCA()
    return World(ca, ca.issue(DCC_EUI), ca.issue(SRP_EUI, role="SC"), ca.issue(SUPPLIER_ES), ca.issue(SUPPLIER_GS))


def device_response(device: str, supplier: str, counter: int, kind: str, *, success: bool = True) -> bytes:
    """A meter's SRV 1.6 response APDU (the layout contingency.gbcs.response reads), unsigned (null length)."""
    if kind == "ESME":
        result = 0 if success else 1
        content = (bytes([0xDA]) + pcm.invoke_id(counter).to_bytes(4, "big") + b"\x00\x00\x03\x00\x00\x00\x03"
                   + bytes([2, result]) * 3)
        code = 0x001A
    else:
        zcl = b"\x19\x00\x02" + b"\x00" + b"\x00" * 12 if success else b"\x08\x00\x0b\x06\xc0"
        content = (pcm.GBZ_PROFILE.to_bytes(2, "big") + bytes([1, pcm.GBZ_LAST_COMPONENT])
                   + pcm.ZSE_PREPAYMENT_CLUSTER.to_bytes(2, "big") + len(zcl).to_bytes(2, "big") + zcl)
        code = 0x006C
    when = bytes([0x07, 0xEA, 1, 15, 0xFF, 9, 0, 0, 0, 0x80, 0, 0xFF])
    return Frame(CRA_RESPONSE, counter, device, supplier, when, code.to_bytes(2, "big"), content, b"").encode()


@dataclass
class FakeDcc:
    world: World
    #: statuses to answer first, per service ("T" / "S"): 503 (retried by the client), 400 (not retried), …
    fail: dict[str, list[int]] = field(default_factory=lambda: {"T": [], "S": []})
    #: a DUIS E-code to answer CV 4 with (signed), e.g. "E4"
    refuse_with: str | None = None
    #: change what the Pre-Command says: {"device": …, "counter_delta": 1, "prepayment": True, "originator": …}
    tamper: dict = field(default_factory=dict)
    #: "unsigned", or a Credential to sign the answers with instead of the DCC's
    signature: object = None
    #: where to push the Service Response (or the quarantine alert) after I99
    push_to: str | None = None
    quarantine: set[str] = field(default_factory=set)  # devices whose CV 5 is quarantined (AD1 alert)
    device_fails: set[str] = field(default_factory=set)
    #: answers to lose after processing the request, per service (a reset connection on the way back)
    drop: dict[str, int] = field(default_factory=dict)
    received: dict[str, list[str]] = field(default_factory=lambda: {"T": [], "S": []})
    bodies: dict[str, list[bytes]] = field(default_factory=lambda: {"T": [], "S": []})
    issued: dict[str, bytes] = field(default_factory=dict)
    last_counter: dict[str, int] = field(default_factory=dict)
    pushes: list[int] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._alert_counter = 0
        dcc = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - the standard library's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                service = {"/api/v1/serviceT": "T", "/api/v1/serviceS": "S"}.get(self.path)
                status, content_type, answer, after = dcc.answer(service, body)
                if service in dcc.drop and dcc.drop[service] > 0:
                    dcc.drop[service] -= 1  # processed, but the answer is lost: the connection just closes
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(answer)))
                # Headers and body in one write: two small writes on a kept-alive connection meet the client's
                # delayed ACK (Nagle), about 40 ms a request.
                self._headers_buffer.extend([b"\r\n", answer])
                self.flush_headers()
                if after is not None:
                    after()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    # -- answers --------------------------------------------------------------------------------------------
    def _sign(self, root) -> bytes:
        if self.signature == "unsigned":
            return b'<?xml version="1.0" encoding="UTF-8"?>' + etree.tostring(root)
        signer = self.signature or self.world.dcc
        return xmldsig.sign(root, signer.key, signer.cert)

    @staticmethod
    def _json(status: int, code: str):
        return status, "application/json", json.dumps({"code": code, "detail": code}).encode(), None

    def answer(self, service: str | None, body: bytes):
        with self._lock:
            if service is None:
                return 404, "text/plain", b"not found", None
            self.bodies[service].append(body)
            if self.fail[service]:
                status = self.fail[service].pop(0)
                if isinstance(status, tuple):  # (status, code)
                    return self._json(*status)
                return self._json(status, "dcc-signing-identity-missing" if status >= 500 else "structure-invalid")
            try:
                verified = xmldsig.verify(body, certificate=self.world.srp.cert)
            except xmldsig.SignatureRejected as exc:
                return self._json(403, exc.code)
            request = requests.parse(verified.root)
            rid = request.request_id
            self.received[service].append(str(rid))
            if service == "T":
                return self._transform(request)
            return self._send_command(request)

    def _new_request(self, request):
        """Counter (409) and the DUIS errors a test asks for, or one of the device's generation (E12)."""
        rid = request.request_id
        if rid.counter <= self.last_counter.get(rid.target, -1):
            return self._json(409, "counter-not-increasing")
        self.last_counter[rid.target] = rid.counter
        smets1 = rid.target in SMETS1
        refusal = self.refuse_with or ("E12" if smets1 != (request.command_variant == 1) else None)
        if refusal:
            status = 403 if refusal != "E12" else 400
            return status, "application/xml", self._sign(responses.error(refusal, request, at=NOW)), None
        return None

    def _transform(self, request):
        rid = request.request_id
        if request.command_variant != 4:
            return self._json(400, "wrong-url")
        refused = self._new_request(request)
        if refused:
            return refused
        kind, supplier, variant = DEVICES[rid.target]
        t = self.tamper
        values = dict(originator=t.get("originator", supplier), device=t.get("device", rid.target),
                      counter=rid.counter + t.get("counter_delta", 0),
                      execution=pcm.execution_from_duis(request.body.execution),
                      prepayment=pcm.Prepayment(True, True, 556677) if t.get("prepayment") else None)
        if kind == "ESME":
            apdu = pcm.esme_precommand(variant=variant, **values)
        else:
            apdu = pcm.gsme_precommand(issuer_event_id=rid.counter & 0xFFFFFFFF, **values)
        self.issued[str(rid)] = apdu
        root = responses.pre_command(request, gbcs_payload=apdu, gbcs_version="4.0", at=NOW)
        return 200, "application/xml", self._sign(root), None

    def _send_command(self, request):
        rid = request.request_id
        if request.command_variant == 1:  # SMETS1: the body itself must be Credit, then I99 and the response
            refused = self._new_request(request)
            if refused:
                return refused
            if not request.body.is_credit:
                return 403, "application/xml", self._sign(responses.error("E2", request, at=NOW)), None
            kind, supplier, _ = DEVICES[rid.target]
            after = (lambda: self._push_outcome(request, kind, supplier)) if self.push_to else None  # noqa: E731
            return 200, "application/xml", self._sign(responses.acknowledgement(request, at=NOW)), after
        issued = self.issued.pop(str(rid), None)
        if request.command_variant != 5 or issued is None:
            return self._json(409, "pre-command-unknown")
        kind, supplier, _ = DEVICES[rid.target]
        key = (self.world.supplier_es if supplier == SUPPLIER_ES else self.world.supplier_gs).cert
        try:
            check_signed_precommand(request.body.gbcs_payload, issued, supplier_public_keys=[key],
                                    require_credit=True)
        except GbcsRefused as exc:
            return self._json(400, exc.code)
        after = None
        if self.push_to:
            after = lambda: self._push_outcome(request, kind, supplier)  # noqa: E731
        return 200, "application/xml", self._sign(responses.acknowledgement(request, at=NOW)), after

    def _push_outcome(self, request, kind: str, supplier: str):
        rid = request.request_id
        if rid.target in self.quarantine:
            with self._lock:
                self._alert_counter += 1
                counter = self._alert_counter
            root = alerts.dcc_alert(code="AD1", subject_eui=DCC_EUI, recipient_eui=SRP_EUI, counter=counter,
                                    alert=alerts.QuarantinedRequest(str(rid), counter), at=NOW)
        else:
            payload = device_response(rid.target, supplier, rid.counter, kind,
                                      success=rid.target not in self.device_fails)
            root = responses.service_response(request, gbcs_payload=payload, at=NOW)
        self.push(self._sign(root))

    def push(self, document: bytes) -> int:
        req = urllib.request.Request(self.push_to, data=document, method="POST",
                                     headers={"Content-Type": "application/xml"})
        try:
            with urllib.request.urlopen(req, timeout=10) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        self.pushes.append(status)
        return status


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
