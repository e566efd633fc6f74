"""Accepted ServiceRequest rows as the front door stores them, made without it (a plain helper module): a real
Pre-Command in the failed Supplier's name, signed with its Digital Signing key from the SMKI."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from contingency.gbcs import precommand as pcm
from contingency.gbcs.signature import sign
from contingency.models import Device, RequestState, ServiceRequest

_counters = itertools.count(1_000_000)


def accepted_request(world, device: Device | None = None, *, counter: int | None = None, execution=None,
                     accepted_at: dt.datetime | None = None, signed: bool = True) -> ServiceRequest:
    device = device or world.device
    counter = counter or next(_counters)
    if device.device_type == "ESME":
        apdu = pcm.esme_precommand(originator=world.supplier.eui, device=device.eui, counter=counter,
                                   execution=execution, variant=device.esme_variant)
    else:
        apdu = pcm.gsme_precommand(originator=world.supplier.eui, device=device.eui, counter=counter,
                                   issuer_event_id=counter, execution=execution)
    now = timezone.now()
    return ServiceRequest.objects.create(
        request_id=f"{world.srp_solr.eui}:{device.eui}:{counter}", sender=world.srp_solr, device=device,
        target_supplier=world.supplier.party, gbcs_originator=world.supplier.eui, counter=counter, srv="1.6",
        command_variant=5, state=RequestState.ACCEPTED, request_xml=b"<Request/>", precommand=apdu,
        signed_precommand=sign(apdu, world.supplier_key) if signed else None,
        received_at=accepted_at or now, accepted_at=accepted_at or now)
