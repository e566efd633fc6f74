"""A sender that is not SoLR Contingency: a Supplier acts on its own meters only (check 9), in its own name (the
GBCS originator is the sender), and may change them to Prepayment (the Credit rule is the SoLR role's)."""

from __future__ import annotations

import pytest

from contingency.gbcs.precommand import Prepayment, esme_precommand
from contingency.models import DeviceCounter, ServiceRequest
from contingency.service_matrix.services import allow
from pki.models import CertificateKind

from .world import ESME, HEALTHY_ES, OTHER_ESME, _signer, pre_command_of, prepayment, request, rid

pytestmark = pytest.mark.django_db


def test_a_supplier_transforms_for_its_own_meter_only(world, send, cast):
    allow(cast.dcc_operator1.user, "IS", "1.6", [4, 5], "Update Payment Mode")
    supplier = _signer(world.healthy_es, CertificateKind.XML_SIGNING)

    reply = send("T", supplier.sign(request(rid(HEALTHY_ES, OTHER_ESME, 9), 4, body=prepayment())))
    assert (reply.status, reply.code) == (200, "I0")
    assert pre_command_of(reply.body) == esme_precommand(originator=HEALTHY_ES, device=OTHER_ESME, counter=9,
                                                         prepayment=Prepayment(True, False, 556677))
    assert ServiceRequest.objects.get().gbcs_originator == HEALTHY_ES
    assert DeviceCounter.objects.get().originator == HEALTHY_ES

    refused = send("T", supplier.sign(request(rid(HEALTHY_ES, ESME, 10), 4)))
    assert (refused.status, refused.code) == (403, "E4")  # the failed Supplier's meter
