"""The front door during a broker outage (DESIGN §6 "nothing is lost"; docs/delivery.md, "A broker outage"): the
request is stored before the answer, so a broker that refuses the delivery message after that commit must not turn
the answer into an error. The sender gets its I99, the request waits ``accepted``, and the delivery sweeper queues it.
A transactional test: the on-commit hook runs inside the view, as in production. The real outage (the Redis server
stopped, the embedded broker's folder unwritable, real workers) is tests/e2e/test_delivery_nothing_lost.py."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from contingency import conf
from contingency.delivery import service, tasks
from contingency.gbcs import signature
from contingency.models import ServiceRequest

from .world import ESME, SMETS1_ESME, SOLR_EUI, pre_command_of, request, rid, signed_pre_command

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def refusing_broker(monkeypatch):
    """The broker refuses every message, as kombu reports a Redis server that is down; the attempts are counted."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver_request, "delay", refuse)
    return attempts


def test_a_signed_pre_command_is_answered_i99_and_kept_for_the_sweeper(world, send, refusing_broker, caplog):
    counter = world.next_counter()
    reply = send("T", world.solr.sign(request(rid(SOLR_EUI, ESME, counter), 4)))
    assert reply.code == "I0"
    signed = signature.sign(pre_command_of(reply.body), world.es_digital.key)
    with caplog.at_level(logging.WARNING, logger="contingency.delivery.tasks"):
        reply = send("S", world.solr.sign(request(rid(SOLR_EUI, ESME, counter), 5, body=signed_pre_command(signed))))
    assert (reply.status, reply.code) == (200, "I99")
    row = ServiceRequest.objects.get(request_id=rid(SOLR_EUI, ESME, counter))
    assert row.state == "accepted"
    assert refusing_broker == [(row.pk,)]  # the front door tried to queue it once, after its commit
    assert any(r.name == "contingency.delivery.tasks" and str(row.pk) in r.getMessage() for r in caplog.records)
    # Nobody claimed it: once SOLR_DELIVERY_STUCK_SECONDS have passed, the sweeper queues it again.
    assert service.stuck_request_ids() == []
    later = timezone.now() + dt.timedelta(seconds=conf.get("SOLR_DELIVERY_STUCK_SECONDS") + 1)
    assert service.stuck_request_ids(at=later) == [row.pk]


def test_a_smets1_request_is_answered_i99_while_the_broker_refuses(world, send, refusing_broker):
    reply = send("S", world.solr.sign(request(rid(SOLR_EUI, SMETS1_ESME, world.next_counter()), 1)))
    assert (reply.status, reply.code) == (200, "I99")
    assert ServiceRequest.objects.get().state == "accepted"
    assert len(refusing_broker) == 1


def test_the_sweeper_stops_at_the_first_refusal_and_the_next_sweep_queues_the_rest(world, send, monkeypatch,
                                                                                   refusing_broker):
    for _ in range(3):
        assert send("S", world.solr.sign(request(rid(SOLR_EUI, SMETS1_ESME, world.next_counter()), 1))).code == "I99"
    # Accepted two minutes ago and never claimed: past SOLR_DELIVERY_STUCK_SECONDS (60).
    ServiceRequest.objects.update(accepted_at=timezone.now() - dt.timedelta(minutes=2))
    stuck = service.stuck_request_ids()
    assert len(stuck) == 3
    queued, refused, down = [], [], [True]

    def broker(request_pk):
        if down[0]:
            refused.append(request_pk)
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        queued.append(request_pk)

    monkeypatch.setattr(tasks.deliver_request, "delay", broker)
    assert tasks.sweep_requests() == {"requeued": 0, "expired": 0}  # no exception: beat runs it again
    assert len(refused) == 1  # not one wait on the dead broker per stuck request
    down[0] = False
    assert tasks.sweep_requests() == {"requeued": 3, "expired": 0}
    assert sorted(queued) == sorted(stuck)
