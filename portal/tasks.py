"""Tasks of the registry app."""

import os
import socket

from celery import shared_task

from . import audit


@shared_task(name="portal.tasks.ping")
def ping(token: str) -> dict:
    """Round trip through a worker: returns the token with the worker's host and process id."""
    return {"token": token, "pid": os.getpid(), "host": socket.gethostname()}


@shared_task(name="portal.tasks.seal_audit_log")
def seal_audit_log() -> int:
    """Link newly written audit records into the hash chain (see portal.audit)."""
    return audit.seal()
