"""The Celery application. Configuration comes from Django settings (CELERY_* names)."""

import logging
import os
import warnings

from celery import Celery, Task
from celery.signals import after_setup_logger
from celery.worker.request import Request

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

logger = logging.getLogger(__name__)


def _connection_gone(message) -> bool:
    """True when the message came through a broker connection that has since been closed: kombu detaches the
    connection's transport (``transport.client = None``) when it closes it after a connection error."""
    transport = getattr(getattr(message, "channel", None), "connection", None)
    return transport is None or getattr(transport, "client", None) is None


class OutageTolerantRequest(Request):
    """A task request whose late acknowledgement survives a broker outage.

    With late acknowledgement (CELERY_TASK_ACKS_LATE) the worker acknowledges a message when its task returns. When
    the Redis server went away while the task ran, the worker has already closed that message's connection, and
    kombu's Redis transport (5.7) then fails on the acknowledgement with AttributeError (no connection to build a
    client from) instead of one of its connection errors. The worker's event loop takes that for an unrecoverable
    error and the worker exits (seen in tests/e2e/test_delivery_nothing_lost.py's Redis outage). There is nothing
    left to acknowledge: the message belonged to the lost connection (Redis restores or, after a crash, lost it).
    The database row is the record, not the message (DESIGN §6): a message delivered again finds its request
    claimed or done, and the sweeper queues what was lost. So this is logged and the worker carries on.
    """

    def acknowledge(self):
        try:
            super().acknowledge()
        except AttributeError:
            if not _connection_gone(self.message):
                raise
            self.acknowledged = True
            logger.warning("task %s %s: not acknowledged, its broker connection was lost", self.name, self.id)

    def reject(self, requeue=False):
        try:
            super().reject(requeue=requeue)
        except AttributeError:
            if not _connection_gone(self.message):
                raise
            self.acknowledged = True
            logger.warning("task %s %s: not rejected, its broker connection was lost", self.name, self.id)


class PortalTask(Task):
    Request = OutageTolerantRequest


app = Celery("portal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Loggers that speak on every run of a periodic task (beat's "Sending due task", the worker's "received" and
# "succeeded"): with the audit seal every 10 s that was three console lines every ten seconds (issue 6 point 12).
# A failing task still logs at ERROR; tasks log their own real events through their own loggers.
CHATTY_LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")

if os.environ.get("SOLR_RUN_COMMAND"):
    # The run command (manage.py serve) has already said once that it runs as root; Celery would add a
    # seven-line warning on every start. Only for the worker that command starts.
    from celery.exceptions import SecurityWarning

    warnings.filterwarnings("ignore", message=r"You're running the worker with superuser", category=SecurityWarning)


@after_setup_logger.connect
def _quiet_periodic_chatter(logger=None, loglevel=None, **kwargs) -> None:
    if loglevel is None or loglevel > logging.DEBUG:
        for name in CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
