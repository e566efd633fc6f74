"""Concurrent requests: one RequestID sent twice at the same instant is taken once; one Pre-Command answered twice
at once is used once; a counter's first insert that loses a race falls back to the conditional update. Real
transactions in threads (tests/helpers/races.py), each held open in its store step so they overlap."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models.query import QuerySet
from django.test import Client

from contingency.gbcs import signature
from contingency.models import Device, DeviceCounter, ServiceRequest
from contingency.pipeline import replay, store
from contingency.pipeline.refusal import Refused
from tests.helpers.races import hold_transactions_open, race

from .world import ESME, FAILED_ES, GSME, SOLR_EUI, pre_command_of, request, rid, signed_pre_command


def _post(service: str, body: bytes):
    def action():
        response = Client().post(f"/api/v1/service{service}", data=body, content_type="application/xml")
        return response.status_code
    return action


@pytest.mark.django_db(transaction=True)
def test_the_same_request_id_at_the_same_instant_is_taken_once(world, monkeypatch):
    hold_transactions_open(monkeypatch, store, 0.2)
    signed = world.solr.sign(request(rid(SOLR_EUI, ESME, 4242), 4))
    statuses = race(_post("T", signed), _post("T", signed))
    assert sorted(statuses) == [200, 409], statuses
    assert ServiceRequest.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_pre_command_answered_twice_at_once_is_used_once(world, monkeypatch):
    reply = Client().post("/api/v1/serviceT", data=world.solr.sign(request(rid(SOLR_EUI, GSME, 77), 4)),
                          content_type="application/xml")
    gbcs = signature.sign(pre_command_of(reply.content), world.gs_digital.key)
    signed = world.solr.sign(request(rid(SOLR_EUI, GSME, 77), 5, body=signed_pre_command(gbcs)))
    hold_transactions_open(monkeypatch, store, 0.2)
    statuses = race(_post("S", signed), _post("S", signed))
    assert sorted(statuses) == [200, 409], statuses
    row = ServiceRequest.objects.get()
    assert (row.state, row.version) == ("accepted", 1)


@pytest.mark.django_db
def test_a_first_insert_that_loses_the_race_falls_back_to_the_update(world, monkeypatch):
    device = Device.objects.get(eui=ESME)
    real_exists = QuerySet.exists

    def exists_after_a_rival_inserted(queryset):
        # Between our conditional UPDATE (no row yet) and our INSERT, another request inserts the pair's row.
        if queryset.model is DeviceCounter and not DeviceCounter.objects.filter(device=device).count():
            DeviceCounter.objects.create(device=device, originator=FAILED_ES, last_counter=5)
            return False
        return real_exists(queryset)

    monkeypatch.setattr(QuerySet, "exists", exists_after_a_rival_inserted)
    with transaction.atomic():
        replay.advance_counter(device, FAILED_ES, 7)  # above the rival's 5: taken by the retried update
    assert DeviceCounter.objects.get(device=device).last_counter == 7

    DeviceCounter.objects.all().delete()
    with pytest.raises(Refused) as info, transaction.atomic():
        replay.advance_counter(device, FAILED_ES, 4)  # below the rival's 5
    assert info.value.code == "counter-not-increasing"
