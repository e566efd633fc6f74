"""Every DUIS document the DCC emits, produced through the real code paths, is valid against the official DUIS 5.4
XSD, verifies with our verifier against the DCC's ``xml-signing`` certificate, and verifies under an independent
XMLDSig implementation, the JDK's javax.xml.crypto (tests/pki/java/VerifyDuis.java; DESIGN §4 "Responses the DCC
sends"; issue 10 point 8 and "Tests").

The documents:

* the front door's answers, over HTTP with the Django test client: I0 with a Pre-Command (ESME, GSME), I99 (a
  Signed Pre-Command, CV 5; a SMETS1 request, CV 1), and a DUIS error response for **every refusal code of
  contingency.duis.codes.REFUSALS that has a DUIS response code**, each from a request that fails exactly there.
  The parameters come from that table, so a code added later without a producer here fails this module;
* what delivery pushes to the sender: the Service Response I0 with the meter's GBCS response (SMETS2 and SMETS1),
  E20 (the meter cannot be reached; a request that expired undelivered) and E21 (no answer);
* alerts as pushed: the ADT warning and quarantine DCC alerts (AD1) to the sender, the future-dated 8F66 outcome
  and a device alert of the failed Supplier's meter routed to the SRP's SoLR Contingency User ID.

The asynchronous ones are taken as they arrive at the recipient's endpoint (an HTTP server of the test): the body
the push POSTed. ADT counting is the real one (the conftest's stand-in is switched off). Each document is checked
on its own (parametrised: XSD, our verifier, its ResponseCode and kind); then all of them together in one JVM run,
with a tampered copy that must be refused so the harness is seen to bite. Without java the JDK test is skipped,
and fails under CI (tests/helpers/jdk.py)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from cryptography import x509
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from lxml import etree

from contingency.delivery import push as pushes
from contingency.delivery import service, tasks
from contingency.delivery.gateway.simulator import SimulatedGateway
from contingency.duis import codes
from contingency.gbcs import signature
from contingency.gbcs.precommand import Prepayment, esme_precommand
from contingency.models import (
    AdtThreshold,
    Alert,
    Device,
    MeterBehaviour,
    Push,
    RejectedRequest,
    ServiceRequest,
    SimulatedMeter,
)
from pki import xmldsig
from portal.models import UserID
from tests.contingency.alerts.world import Endpoint
from tests.helpers import jdk

from .world import (
    ESME,
    FAILED_ES,
    GSME,
    NS,
    OTHER_ESME,
    SMETS1_ESME,
    SOLR_EUI,
    adt_threshold,
    credit,
    prepayment,
    read_payment_mode,
    request,
    rid,
    signed_pre_command,
    smets1_credit,
    transform_and_sign,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def adt():
    """Overrides the conftest's stand-in: check 11 runs the real ``contingency.adt.counting.check_and_count``."""
    return None


@dataclass
class Env:
    world: object
    send: Callable
    endpoint: Endpoint
    thresholds: list[AdtThreshold]


@pytest.fixture(scope="module")
def endpoint():
    """One receiving HTTP server for the module (closing one takes half a second)."""
    server = Endpoint()
    yield server
    server.close()


@pytest.fixture
def env(world, send, settings, endpoint):
    settings.SOLR_GATEWAY_LATENCY_SECONDS = 0.0
    settings.SOLR_GATEWAY_JITTER_SECONDS = 0.0
    settings.SOLR_GATEWAY_RESPONSE_TIMEOUT_SECONDS = 0.0
    # The SRP's SoLR Contingency User ID receives its Service Responses and alerts here.
    UserID.objects.filter(pk=world.solr.uid.pk).update(endpoint_url=f"{endpoint.url}/srp")
    # ADT rows for both of the failed Supplier's User IDs, high enough that nothing is flagged unless a producer
    # lowers them.
    thresholds = [adt_threshold(world, world.failed_es), adt_threshold(world, world.failed_gs)]
    return Env(world, send, endpoint, thresholds)


# --- the front door: answers over HTTP ---------------------------------------------------------------------------

def _cv4(env: Env, device: str = ESME, body=None) -> bytes:
    return env.world.solr.sign(request(rid(SOLR_EUI, device, env.world.next_counter()), 4, body=body))


def _ok(reply, code: str) -> bytes:
    assert (reply.status, reply.code) == (200, code), reply.body[:400]
    return reply.body


def _signed_pre_command_to_prepayment(env: Env):
    counter = env.world.next_counter()
    assert env.send("T", env.world.solr.sign(request(rid(SOLR_EUI, ESME, counter), 4))).code == "I0"
    forged = esme_precommand(originator=FAILED_ES, device=ESME, counter=counter,
                             prepayment=Prepayment(True, False, 556677))
    body = signed_pre_command(signature.sign(forged, env.world.es_digital.key))
    return env.send("S", env.world.solr.sign(request(rid(SOLR_EUI, ESME, counter), 5, body=body)))


def _changed(env: Env, change: Callable[[], object], device: str = ESME):
    change()
    return env.send("T", _cv4(env, device))


#: A request that fails exactly at the refusal with this code, for every refusal the front door answers with a DUIS
#: error response (contingency.duis.codes.REFUSALS rows whose response_code is not None).
REFUSAL_PRODUCERS: dict[str, Callable[[Env], object]] = {
    "wrong-url": lambda env: env.send("S", _cv4(env)),
    "command-variant-mismatch": lambda env: env.send("T", _cv4(env, body=signed_pre_command(b"\xdf\x09"))),
    "user-unknown": lambda env: _changed(env, lambda: env.world.solr.uid.roles.all().delete()),
    "user-not-active": lambda env: _changed(
        env, lambda: UserID.objects.filter(pk=env.world.solr.uid.pk).update(status="suspended")),
    "srv-not-permitted": lambda env: env.send("S", env.world.solr.sign(
        request(rid(SOLR_EUI, ESME, env.world.next_counter()), 1, "6.2.9", read_payment_mode()))),
    "command-variant-not-permitted": lambda env: env.send("S", env.world.solr.sign(
        request(rid(SOLR_EUI, SMETS1_ESME, env.world.next_counter()), 3))),
    "device-unknown": lambda env: env.send("T", _cv4(env, "00-DB-50-00-00-00-0F-FF")),
    "device-type-mismatch": lambda env: _changed(env, lambda: Device.objects.filter(eui=ESME).update(
        device_type="PPMID", esme_variant="", payment_mode="")),
    "device-status-refused": lambda env: _changed(
        env, lambda: Device.objects.filter(eui=ESME).update(smi_status="decommissioned")),
    "command-variant-not-for-device": lambda env: env.send("T", _cv4(env, SMETS1_ESME)),
    "not-authorised-for-device": lambda env: env.send("T", _cv4(env, OTHER_ESME)),
    "payment-mode-not-credit": lambda env: env.send("T", _cv4(env, body=prepayment())),
    "gbcs-not-credit": _signed_pre_command_to_prepayment,
}

#: Every refusal the front door answers with a signed DUIS document: from the table, never from a list kept here.
DUIS_REFUSALS = sorted(code for code, answer in codes.REFUSALS.items() if answer.response_code)


def _refusal(code: str) -> Callable[[Env], bytes]:
    def produce(env: Env) -> bytes:
        if code not in REFUSAL_PRODUCERS:
            pytest.fail(f"refusal {code!r} has a DUIS code in contingency.duis.codes but no producer here")
        answer = codes.answer_for(code)
        reply = REFUSAL_PRODUCERS[code](env)
        assert (reply.status, reply.code) == (answer.http_status, answer.response_code), reply.body[:400]
        last = RejectedRequest.objects.order_by("-id").first()
        assert (last.code, last.failed_check, last.response_code) == (code, str(answer.check), answer.response_code)
        return reply.body

    return produce


# --- delivery and alerts: as pushed to the sender's endpoint ---------------------------------------------------

def _as_pushed(env: Env, push: Push) -> bytes:
    """One real push attempt of ``push`` to the test's endpoint: the body the endpoint received."""
    result = pushes.attempt(push.pk)
    assert result.outcome == pushes.Outcome.DELIVERED, result
    received = env.endpoint.received[-1]
    assert received.path == "/srp" and received.content_type.startswith("application/xml")
    assert received.body == push.body.encode("utf-8")
    return received.body


def _accepted(env: Env, reply) -> ServiceRequest:
    assert reply.code == "I99", reply.body[:400]
    return ServiceRequest.objects.get(request_id=etree.fromstring(reply.body).findtext(
        "sr:Header/sr:RequestID", namespaces=NS))


def _delivered(env: Env, row: ServiceRequest, code: str, *, behaviour: str | None = None) -> bytes:
    if behaviour:
        SimulatedMeter.objects.create(device=row.device, behaviour=behaviour)
    tasks.deliver_request.apply(args=[row.pk]).get()
    row.refresh_from_db()
    assert row.response_code == code
    return _as_pushed(env, Push.objects.get(key=f"response:{row.request_id}"))


def _smets2_delivery(code: str, behaviour: str | None = None) -> Callable[[Env], bytes]:
    def produce(env: Env) -> bytes:
        _, i99 = transform_and_sign(env.world, env.send, ESME, env.world.es_digital)
        return _delivered(env, _accepted(env, i99), code, behaviour=behaviour)

    return produce


def _smets1_delivery(env: Env) -> bytes:
    return _delivered(env, _accepted(env, smets1_credit(env.world, env.send)), "I0")


def _expired_undelivered(env: Env) -> bytes:
    row = _accepted(env, smets1_credit(env.world, env.send))
    assert service.expire(row.pk, queue_push=lambda push_id: None)
    row.refresh_from_db()
    assert (row.state, row.response_code, row.gateway_refusal) == ("expired", "E20", "delivery-expired")
    return _as_pushed(env, Push.objects.get(key=f"response:{row.request_id}"))


def _adt_alert(level: str) -> Callable[[Env], bytes]:
    """Two SMETS1 requests with the electricity User ID's ADT lowered: the second passes the warning level (1), or
    the quarantine level (1). The sender's AD1 alert as pushed."""
    def produce(env: Env) -> bytes:
        quarantine = 1 if level == "quarantine" else 1000
        AdtThreshold.objects.filter(pk=env.thresholds[0].pk).update(warning_level=1, quarantine_level=quarantine)
        _accepted(env, smets1_credit(env.world, env.send))
        second = _accepted(env, smets1_credit(env.world, env.send))
        assert second.state == ("quarantined" if level == "quarantine" else "accepted")
        alert = Alert.objects.get(code="AD1", details__request_id=second.request_id)
        assert alert.recipient == env.world.solr.uid
        return _as_pushed(env, Push.objects.get(alert=alert))

    return produce


def _future_dated_8f66(env: Env) -> bytes:
    execution = (timezone.now() + dt.timedelta(hours=1)).replace(microsecond=0)
    body = credit(execution.strftime("%Y-%m-%dT%H:%M:%SZ"))
    _, i99 = transform_and_sign(env.world, env.send, ESME, env.world.es_digital, body=body)
    row = _accepted(env, i99)
    tasks.deliver_request.apply(args=[row.pk]).get()
    executed = SimulatedGateway().execute_due(at=execution + dt.timedelta(seconds=1))
    assert [change.request_ref for change in executed] == [row.request_id]
    alert = Alert.objects.get(kind="future-dated")
    # The failed Supplier's meter's alert goes to the SRP's SoLR Contingency User ID (MP134B requirement 7).
    assert (alert.code, alert.addressed_to, alert.recipient, alert.via_solr) == (
        "8F66", env.world.failed_es, env.world.solr.uid, True)
    return _as_pushed(env, Push.objects.get(alert=alert))


def _device_alert(env: Env) -> bytes:
    call_command("device_alert", ESME, "8F20", stdout=io.StringIO())
    alert = Alert.objects.get(kind="device")
    assert (alert.code, alert.recipient, alert.via_solr) == ("8F20", env.world.solr.uid, True)
    return _as_pushed(env, Push.objects.get(alert=alert))


@dataclass(frozen=True)
class Kind:
    """What a document must be: its ResponseCode and the path of the element that makes it that kind."""

    response_code: str
    element: str


PRE_COMMAND = Kind("I0", "sr:Body/sr:ResponseMessage/sr:PreCommand/sr:GBCSPayload")
ACKNOWLEDGEMENT = Kind("I99", "sr:Header/sr:RequestID")
SERVICE_RESPONSE = Kind("I0", "sr:Body/sr:ResponseMessage/sr:GBCSPayload")
DCC_ALERT = Kind("I0", "sr:Body/sr:DCCAlertMessage/sr:DCCAlert/sr:QuarantinedRequest/sr:ADUserThresholdBreach")
FUTURE_DATED = Kind("I0", "sr:Body/sr:ResponseMessage/sr:FutureDatedDeviceAlertMessage/sr:GBCSPayload")
DEVICE_ALERT = Kind("I0", "sr:Body/sr:DeviceAlertMessage/sr:GBCSPayload")


def _error(code: str) -> Kind:
    return Kind(codes.answer_for(code).response_code, "sr:Header/sr:RequestID")


def _failure(code: str) -> Kind:
    return Kind(code, "sr:Header/sr:RequestID")


#: name → (producer, what the document must be). The front door's refusals are named after their refusal code.
DOCUMENTS: dict[str, tuple[Callable[[Env], bytes], Kind]] = {
    "front door I0 Pre-Command ESME": (lambda env: _ok(env.send("T", _cv4(env, ESME)), "I0"), PRE_COMMAND),
    "front door I0 Pre-Command GSME": (lambda env: _ok(env.send("T", _cv4(env, GSME)), "I0"), PRE_COMMAND),
    "front door I99 Signed Pre-Command (CV 5)": (
        lambda env: _ok(transform_and_sign(env.world, env.send, ESME, env.world.es_digital)[1], "I99"),
        ACKNOWLEDGEMENT),
    "front door I99 SMETS1 (CV 1)": (lambda env: _ok(smets1_credit(env.world, env.send), "I99"), ACKNOWLEDGEMENT),
    **{f"front door refusal {code}": (_refusal(code), _error(code)) for code in DUIS_REFUSALS},
    "delivery I0 Service Response (SMETS2)": (_smets2_delivery("I0"), SERVICE_RESPONSE),
    "delivery I0 Service Response (SMETS1)": (_smets1_delivery, SERVICE_RESPONSE),
    "delivery E20 unreachable": (_smets2_delivery("E20", MeterBehaviour.UNREACHABLE), _failure("E20")),
    "delivery E20 expired": (_expired_undelivered, _failure("E20")),
    "delivery E21 no response": (_smets2_delivery("E21", MeterBehaviour.SILENT), _failure("E21")),
    "alert AD1 ADT warning": (_adt_alert("warning"), DCC_ALERT),
    "alert AD1 ADT quarantine": (_adt_alert("quarantine"), DCC_ALERT),
    "alert 8F66 future-dated outcome": (_future_dated_8f66, FUTURE_DATED),
    "alert device 8F20": (_device_alert, DEVICE_ALERT),
}


def test_every_refusal_with_a_duis_code_has_a_producer_and_no_producer_is_stale():
    assert DUIS_REFUSALS, "the codes table names no DUIS error response"
    assert set(REFUSAL_PRODUCERS) == set(DUIS_REFUSALS)
    # Every DUIS error code the front door can send is among the documents checked.
    assert {codes.answer_for(code).response_code for code in DUIS_REFUSALS} == {
        answer.response_code for answer in codes.REFUSALS.values() if answer.response_code}


def _dcc_certificate(world) -> x509.Certificate:
    return x509.load_pem_x509_certificate(world.dcc_cert_pem.read_bytes())


def _check(document: bytes, kind: Kind, duis_schema, certificate: x509.Certificate) -> None:
    root = etree.fromstring(document)
    assert duis_schema.errors(root) == []
    verified = xmldsig.verify(document, certificate=certificate)
    assert verified.root.findtext("sr:Header/sr:ResponseCode", namespaces=NS) == kind.response_code
    assert verified.root.find(kind.element, namespaces=NS) is not None, kind.element


@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_document_is_valid_duis_signed_by_the_dcc(name, env, duis_schema):
    produce, kind = DOCUMENTS[name]
    _check(produce(env), kind, duis_schema, _dcc_certificate(env.world))


@pytest.fixture(scope="module")
def java():
    return jdk.java_or_skip()


def test_every_document_verifies_under_the_jdk(env, java, duis_schema, tmp_path):
    # All the documents in one world, one JVM run. Each producer runs in a savepoint rolled back afterwards, so the
    # changes one makes (a suspended User ID, a lowered ADT, a counter moved) do not reach the next.
    documents = {}
    for name, (produce, kind) in DOCUMENTS.items():
        with transaction.atomic():
            documents[name] = produce(env)
            transaction.set_rollback(True)
        _check(documents[name], kind, duis_schema, _dcc_certificate(env.world))
    ack = documents["front door I99 Signed Pre-Command (CV 5)"]
    documents["tampered"] = ack.replace(b">I99<", b">I0<")
    assert documents["tampered"] != ack
    verdicts = jdk.verdicts(java, jdk.write_documents(tmp_path, list(documents.values()), env.world.dcc_cert_pem))
    for name, (status, lines) in zip(documents, verdicts, strict=True):
        if name == "tampered":
            assert (status, lines[0]) == (1, "valid=false ref=false"), lines
        else:
            assert (status, lines[0]) == (0, "valid=true ref=true"), (name, lines)
            assert lines[1].startswith("keyinfo=match "), (name, lines)


def test_a_document_of_another_signer_is_refused_by_both_verifiers(env, java, duis_schema, tmp_path):
    """The harness bites on the signer too: an answer re-signed with another key fails against the DCC's certificate
    under our verifier and the JDK."""
    from tests.contingency.duis.messages import Identity

    answer = etree.fromstring(_ok(env.send("T", _cv4(env)), "I0"))
    answer.remove(answer.find("{http://www.w3.org/2000/09/xmldsig#}Signature"))
    forged = Identity().sign(answer)
    assert duis_schema.errors(etree.fromstring(forged)) == []
    with pytest.raises(xmldsig.SignatureRejected):
        xmldsig.verify(forged, certificate=_dcc_certificate(env.world))
    [(status, _)] = jdk.verdicts(java, jdk.write_documents(tmp_path, [forged], env.world.dcc_cert_pem))
    assert status == 1


@pytest.mark.parametrize(("ci", "outcome"), [("", pytest.skip.Exception), ("1", pytest.fail.Exception)])
def test_without_java_the_jdk_check_is_skipped_but_fails_under_ci(monkeypatch, ci, outcome):
    monkeypatch.setattr(jdk.shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="java is not on PATH"):
        jdk.java_or_skip()
