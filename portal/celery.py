"""The Celery application. Configuration comes from Django settings (CELERY_* names)."""

import logging
import os
import warnings

from celery import Celery
from celery.signals import after_setup_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
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
