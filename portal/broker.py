"""The brokers' transports: kombu's file-system transport with messages written atomically (the embedded
default), and kombu's Redis transport with one failure turned into the connection error its callers expect.

The file system:

kombu's own ``filesystem`` channel creates the message file under its final name and only then writes
it. A consumer polling the folder can move the file away in between, read zero bytes (the worker dies
with a JSONDecodeError) and the message is lost — against DESIGN §6 "nothing is lost". Here a message
is written under a name no queue matches, then renamed into place (atomic within one folder), so a
consumer only ever sees complete messages. Chosen by CELERY_BROKER_TRANSPORT in portal/settings.py.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.transport import redis as kombu_redis
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"  # kombu's naming: sorted = FIFO
        final = os.path.join(self.data_folder_out, name)
        # ".incoming-…": the part after the first dot never equals "<queue>.msg", so _get skips it.
        partial = os.path.join(self.data_folder_out, f".incoming-{uuid.uuid4()}")
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel


class RedisChannel(kombu_redis.Channel):
    """kombu's Redis channel, except that a channel whose connection is closed fails as a closed connection.

    Why: the worker acknowledges a message (late acknowledgement, CELERY_TASK_ACKS_LATE) in its event loop after the
    task returns. When the Redis server went away meanwhile, the worker has closed that message's connection, and
    kombu detached the connection's transport (``transport.client = None``). kombu 5.7 then fails on the
    acknowledgement with ``AttributeError`` while building a client from the missing connection, which is not one
    of its connection errors: the event loop takes it for an unrecoverable error and the worker exits with status 1
    (seen in CI, tests/e2e/test_delivery_nothing_lost.py's Redis outage, about 1 run in 8). As a connection error,
    ``Message.ack_log_error`` logs it ("Couldn't ack") and the worker carries on. Nothing is lost: the message went
    with its connection, the database row is the record (DESIGN §6), and a copy delivered again finds it done.
    """

    def _connparams(self, asynchronous=False):
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection of this channel is closed")
        return super()._connparams(asynchronous=asynchronous)


class RedisTransport(kombu_redis.Transport):
    Channel = RedisChannel
