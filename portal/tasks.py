"""Tasks of the registry app."""

import logging
import os
import socket

from celery import shared_task

from . import audit

logger = logging.getLogger(__name__)


@shared_task(name="portal.tasks.ping")
def ping(token: str) -> dict:
    """Round trip through a worker: returns the token with the worker's host and process id."""
    return {"token": token, "pid": os.getpid(), "host": socket.gethostname()}


@shared_task(name="portal.tasks.seal_audit_log")
def seal_audit_log() -> int:
    """Link newly written audit records into the hash chain and move the anchor (see portal.audit).

    A chain that disagrees with its anchor is not extended: the refusal is logged once per run with its
    code, and ``manage.py audit_verify`` names every problem.
    """
    try:
        return audit.seal()
    except audit.AuditRefused as exc:
        logger.error("audit log not sealed [%s]: %s", exc.code, exc.message)
        return 0
