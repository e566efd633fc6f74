"""portal.broker.RedisTransport: an acknowledgement on a channel whose connection a Redis outage closed fails as a
connection error, which the worker logs, not as the AttributeError that stopped it (the Redis outage of
tests/e2e/test_delivery_nothing_lost.py: a worker exited with status 1). With a real message from the run's Redis
server; on the embedded broker there is nothing to test but the setting."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.conf import settings
from kombu import Connection, Exchange, Queue

from portal.celery import app


@pytest.fixture
def redis_url():
    url = str(settings.CELERY_BROKER_URL)
    if not url.startswith("redis://"):
        pytest.skip("the Redis transport's failure; the embedded broker acknowledges without a connection")
    return url


def test_the_product_uses_the_redis_transport_that_fails_as_a_closed_connection(redis_url):
    with app.connection_for_read() as connection:
        assert type(connection.transport).__module__ == "portal.broker"
        assert type(connection.transport).__name__ == "RedisTransport"


def lose_the_connection(connection, channel) -> None:
    """The state the worker's channel was in when its acknowledgement failed (the traceback of the Redis outage
    test: ``_connparams`` reading ``self.connection.client`` as None): the consumer's connection closed after the
    connection error, so kombu detached its transport, and the channel's connection pools dropped. In the worker
    the event loop's reconnection gets there at an instant a test cannot choose; here kombu's own two steps do it."""
    channel._disconnect_pools()
    connection._do_close_transport()


@pytest.mark.parametrize("transport, fails_with", [
    ("portal.broker:RedisTransport", None),  # logged by ack_log_error: the worker carries on
    ("kombu.transport.redis:Transport", AttributeError),  # kombu's own: what stopped the worker
])
def test_an_acknowledgement_after_the_connection_was_lost(redis_url, transport, fails_with, caplog):
    name = f"test-ack-{uuid.uuid4().hex[:8]}"
    queue = Queue(name, Exchange(name), name)
    with app.connection_for_write() as connection:
        app.send_task("portal.tasks.ping", args=["t"], queue=queue, connection=connection)
    connection = Connection(redis_url, transport=transport)
    channel = connection.channel()
    message = None
    for _ in range(50):  # in the list once send_task returns; a few tries cover a slow server
        message = channel.basic_get(name, no_ack=False)
        if message is not None:
            break
    assert message is not None, "the task message did not arrive in its queue"
    try:
        lose_the_connection(connection, channel)
        logger = logging.getLogger("tests.broker")
        if fails_with:
            with pytest.raises(fails_with):
                message.ack_log_error(logger, connection.connection_errors)
        else:
            with caplog.at_level(logging.CRITICAL, logger="tests.broker"):
                message.ack_log_error(logger, connection.connection_errors)
            assert "Couldn't ack" in caplog.text and "connection of this channel is closed" in caplog.text
            message.reject_log_error(logger, connection.connection_errors, requeue=True)  # the same for a reject
    finally:
        channel.qos._on_collect.cancel()  # no restore of the test's message when the process exits
        with app.connection_for_write() as cleanup:
            cleanup.default_channel.queue_delete(name)
            client = cleanup.default_channel.client
            client.hdel(channel.unacked_key, message.delivery_tag)  # kombu's record of a message not yet acknowledged
            client.zrem(channel.unacked_index_key, message.delivery_tag)
