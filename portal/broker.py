"""The embedded broker: kombu's file-system transport, with messages written atomically.

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
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


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
