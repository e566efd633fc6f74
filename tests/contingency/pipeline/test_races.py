"""Concurrent requests: one RequestID sent twice at the same instant is taken once; one Pre-Command answered twice
at once is used once; two first requests for one (device, originator) pair take its counter once. Real
transactions in threads (tests/helpers/races.py), each held open in its store step so they overlap."""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from contingency.gbcs import signature
from contingency.models import Device, DeviceCounter, ServiceRequest
from contingency.pipeline import reads, store
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
def test_the_counter_moves_only_upwards_in_one_statement(world):
    device = Device.objects.get(eui=ESME)
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        assert reads.advance_counter(device.pk, FAILED_ES, 5)  # the pair's first request inserts its row
    assert [q["sql"].split()[0] for q in queries.captured_queries if "counter" in q["sql"]] == ["INSERT"]
    for refused in (5, 4, 0):
        assert not reads.advance_counter(device.pk, FAILED_ES, refused)
    assert DeviceCounter.objects.get(device=device, originator=FAILED_ES).last_counter == 5
    assert reads.advance_counter(device.pk, FAILED_ES, 10**15)
    assert reads.advance_counter(device.pk, SOLR_EUI, 1)  # another originator counts on its own
    assert {(c.originator, c.last_counter) for c in DeviceCounter.objects.filter(device=device)} == {
        (FAILED_ES, 10**15), (SOLR_EUI, 1)}


@pytest.mark.django_db(transaction=True)
def test_two_first_requests_for_one_pair_at_the_same_instant_take_the_counter_once(world):
    device = Device.objects.get(eui=ESME)

    def advance():
        with transaction.atomic():
            moved = reads.advance_counter(device.pk, FAILED_ES, 9)
            time.sleep(0.2)  # hold the row: the rival's statement waits for this transaction
            return moved

    assert sorted(race(advance, advance)) == [False, True]
    assert DeviceCounter.objects.get(device=device).last_counter == 9
