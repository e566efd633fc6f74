"""Check 10 (DESIGN §4; MP134B requirement 5): the content.

* An SRV 1.6 body (``UpdatePaymentMode``: the Transform, CV 4, and a SMETS1 request, CV 1-3) from a SoLR Contingency
  sender must be ``Credit`` (``payment-mode-not-credit``, answered E2).
* A Signed Pre-Command (CV 5-7) goes through ``contingency.gbcs.check.check_signed_precommand`` against the
  Pre-Command the DCC stored when it answered the CV 4: it decodes as an SRV 1.6 command, sets Credit when the
  sender is SoLR Contingency (ECS02 / GCS02), is byte for byte the issued Pre-Command up to the signature, and its
  GBCS signature verifies with one of the registered Supplier's Digital Signing certificates. Those are the
  Supplier User ID's certificates valid now; for a SoLR Contingency sender also its revoked ones (still within
  their validity period), because the meters still trust the failed Supplier's key and ``may_act`` (check 9)
  has just allowed the sender to act on this device now. The codes are ``contingency.gbcs``'s (docs/gbcs.md).
"""

from __future__ import annotations

from django.db.models import Q

from pki.models import Certificate, CertificateKind

from ..devices.choices import DeviceType, Generation
from ..duis.requests import SignedPreCommand, UpdatePaymentMode
from ..gbcs import precommand as gbcs_precommand
from ..gbcs.check import check_signed_precommand
from ..gbcs.errors import GbcsRefused
from .intake import Intake
from .refusal import Refused, refused_from

TRANSFORM = 4
#: The GBCS version the DCC writes into a Pre-Command answer (DUIS ``PreCommand/GBCSVersion``): the layout of the
#: commands built here is the RTDS 4.5.0 one, which GBCS v4.0 meters take (an assumption, docs/duis-checks.md).
GBCS_VERSION = "4.0"


def check_content(intake: Intake) -> None:
    body = intake.request.body
    if isinstance(body, UpdatePaymentMode) and intake.solr and not body.is_credit:
        raise Refused("payment-mode-not-credit", "a SoLR Contingency sender may only change the payment mode to Credit")
    if isinstance(body, UpdatePaymentMode) and intake.request.command_variant == TRANSFORM:
        intake.precommand = build_precommand(intake, body)
    elif isinstance(body, UpdatePaymentMode) and intake.device.generation == Generation.SMETS1:
        # SMETS1 has no Pre-Command: the DCC itself builds the device command from the checked body and hands it to
        # the SMETS1 service provider unsigned (delivery's command_for; docs/duis-checks.md "SMETS1").
        intake.smets1_command = build_precommand(intake, body)
    if isinstance(body, SignedPreCommand):
        keys = [cert.x509() for cert in supplier_signing_certificates(intake)]
        try:
            check_signed_precommand(body.gbcs_payload, bytes(intake.transformed.precommand),
                                    supplier_public_keys=keys, require_credit=intake.solr)
        except GbcsRefused as exc:
            raise refused_from(exc) from None


def supplier_signing_certificates(intake: Intake) -> list[Certificate]:
    """The registered Supplier's Digital Signing certificates that count now (see the module's docstring)."""
    supplier = intake.device.registered_supplier
    certs = Certificate.objects.held_by(supplier).filter(kind=CertificateKind.DIGITAL_SIGNING)
    now = intake.now
    if intake.solr:
        # Valid, or revoked but within notBefore … notAfter: may_act allowed this sender to act now.
        certs = certs.filter(Q(not_before__lte=now, not_after__gte=now))
    else:
        certs = certs.valid(now)
    return list(certs)


def issuer_event_id(counter: int) -> int:
    """The ZSE Issuer Event ID of a GSME Pre-Command (uint32): the low 32 bits of the request's counter. The counter
    strictly increases per (device, GBCS originator) (check 5), so the id does too, and differs from the previous
    command's, until the counter has moved on by 2^32 (docs/duis-checks.md)."""
    return counter & 0xFFFFFFFF


def build_precommand(intake: Intake, body: UpdatePaymentMode) -> bytes:
    """The Transform (CV 4): ECS02/ECS03 for an ESME (its build from ``Device.esme_variant``), GCS02/GCS03 for a
    GSME, in the name of ``intake.gbcs_originator`` (a SoLR Contingency request: the registered Supplier)."""
    device = intake.device
    counter = intake.request.request_id.counter
    prepayment = None if body.is_credit else gbcs_precommand.Prepayment(
        body.suspend_debt_disabled, body.suspend_debt_emergency, body.disablement_threshold)
    execution = gbcs_precommand.execution_from_duis(body.execution)
    try:
        if device.device_type == DeviceType.GSME:
            return gbcs_precommand.gsme_precommand(originator=intake.gbcs_originator, device=device.eui,
                                                   counter=counter, issuer_event_id=issuer_event_id(counter),
                                                   execution=execution, prepayment=prepayment)
        return gbcs_precommand.esme_precommand(originator=intake.gbcs_originator, device=device.eui, counter=counter,
                                               execution=execution, variant=device.esme_variant or "single",
                                               prepayment=prepayment)
    except GbcsRefused as exc:
        if exc.code == "gbcs-execution-time-invalid":  # e.g. fractions of a second: GBCS counts whole seconds
            raise Refused("execution-date-time-invalid", exc.message) from None
        raise
