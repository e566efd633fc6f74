"""The one exception the DUIS message room raises for a message it will not take.

``contingency.duis`` imports no Django (and so not ``portal.errors.Refusal``, whose package starts the Celery
app): it must run in the SRP client and in tests without settings. The shape is the same as the project's
other refusals: a stable ``code`` (docs/duis-messages.md lists them all, ``codes.REFUSALS`` maps each to the
DUIS response code and HTTP status the front door answers with), a ``message`` for people, and a
``ValueError`` too, like ``pki.safexml.XMLRejected``.

A refusal raised after the request's header was read carries what an answer needs: ``request_id`` (a
:class:`~contingency.duis.requestid.RequestID`), ``service_reference`` and ``service_reference_variant``, so
that the front door can send a DUIS error response (an E code) that names the request. Before the header is
read they are None and the answer can only be an HTTP refusal.
"""

from __future__ import annotations

from typing import Any


class MessageRefused(ValueError):
    """A DUIS message is refused; ``code`` is stable (docs/duis-messages.md), ``message`` is for people."""

    def __init__(self, code: str, message: str, *, request_id: Any = None, service_reference: str | None = None,
                 service_reference_variant: str | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.request_id = request_id
        self.service_reference = service_reference
        self.service_reference_variant = service_reference_variant
