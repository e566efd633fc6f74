"""portal.celery.OutageTolerantRequest: a late acknowledgement after the broker connection was lost does not stop the
worker (the Redis outage of tests/e2e/test_delivery_nothing_lost.py, where a worker exited with AttributeError from
kombu's Redis transport). Here with a real message from the run's Redis server; on the embedded broker, whose
acknowledgement needs no connection, there is nothing to test but the wiring."""

from __future__ import annotations

import logging
import uuid

import pytest
from celery.worker.request import Request
from django.conf import settings
from kombu import Exchange, Queue

from portal.celery import OutageTolerantRequest, app


@pytest.fixture(autouse=True)
def tasks_registered():
    app.loader.import_default_modules()  # what a worker does at start: the installed apps' tasks modules


def test_every_task_of_the_product_uses_the_outage_tolerant_request():
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert "contingency.delivery.tasks.deliver_request" in ours and "contingency.delivery.tasks.deliver_push" in ours
    for name, task in ours.items():
        assert task.Request is OutageTolerantRequest, name


@pytest.fixture
def redis_message():
    """A task message taken (not yet acknowledged) from a queue of its own on the run's Redis server, and the
    connection it came through."""
    if not str(settings.CELERY_BROKER_URL).startswith(("redis://", "rediss://")):
        pytest.skip("the failure is the Redis transport's; the embedded broker acknowledges without a connection")
    name = f"test-ack-{uuid.uuid4().hex[:8]}"
    queue = Queue(name, Exchange(name), name)
    with app.connection_for_write() as connection:
        app.send_task("portal.tasks.ping", args=["t"], queue=queue, connection=connection)
    connection = app.connection_for_read()
    channel = connection.channel()
    message = None
    for _ in range(50):  # the message is in the list once send_task returns; a few tries cover a slow server
        message = channel.basic_get(name, no_ack=False)
        if message is not None:
            break
    assert message is not None, "the task message did not arrive in its queue"
    yield connection, message
    channel = message.channel
    channel.qos._on_collect.cancel()  # no restore of the test's message when the process exits
    try:
        connection.release()
    except AttributeError:  # the test detached its transport
        pass
    with app.connection_for_write() as cleanup:
        cleanup.default_channel.queue_delete(name)
        client = cleanup.default_channel.client
        client.hdel(channel.unacked_key, message.delivery_tag)  # kombu's record of a message not yet acknowledged
        client.zrem(channel.unacked_index_key, message.delivery_tag)


def request(cls, connection, message):
    task = app.tasks["portal.tasks.ping"]
    return cls(message, on_ack=message.ack_log_error, on_reject=message.reject_log_error, app=app, task=task,
               connection_errors=connection.connection_errors)


def lose_the_connection(connection, channel) -> None:
    """The state the worker's channel was in when its acknowledgement failed (the traceback of the Redis outage
    test: ``_connparams`` reading ``self.connection.client`` as None): the consumer's connection closed after the
    connection error, so kombu detached its transport, and the channel's connection pools dropped. In the worker
    the event loop's reconnection gets there at an instant a test cannot choose; here kombu's own two steps do it."""
    channel._disconnect_pools()
    connection._do_close_transport()


def test_an_acknowledgement_after_the_connection_was_lost_is_logged_not_raised(redis_message, caplog):
    connection, message = redis_message
    lose_the_connection(connection, message.channel)
    # Celery's own request fails there, and in the worker's event loop that AttributeError is fatal.
    with pytest.raises(AttributeError):
        request(Request, connection, message).acknowledge()
    tolerant = request(OutageTolerantRequest, connection, message)
    with caplog.at_level(logging.WARNING, logger="portal.celery"):
        tolerant.acknowledge()
    assert tolerant.acknowledged
    assert "not acknowledged, its broker connection was lost" in caplog.text
    rejected = request(OutageTolerantRequest, connection, message)
    with caplog.at_level(logging.WARNING, logger="portal.celery"):
        rejected.reject(requeue=True)
    assert rejected.acknowledged
    assert "not rejected, its broker connection was lost" in caplog.text


def test_on_a_live_connection_the_message_is_acknowledged(redis_message):
    connection, message = redis_message
    tolerant = request(OutageTolerantRequest, connection, message)
    tolerant.acknowledge()
    assert tolerant.acknowledged and message.acknowledged
