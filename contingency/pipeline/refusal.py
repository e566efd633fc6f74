"""The pipeline's one refusal: a stable ``code`` from ``contingency.duis.codes.REFUSALS`` (which gives the DUIS
response code, the HTTP status and the check row), and a ``message`` for people."""

from __future__ import annotations

from portal.errors import Refusal


class Refused(Refusal):
    """A DUIS request refused by one of the checks; ``code`` is a key of ``contingency.duis.codes.REFUSALS``."""

    code = "duis-refused"

    #: What a DUIS error answer names (``request_id``, ``service_reference``, ``service_reference_variant``):
    #: set by the runner once the verified header is read; None before.
    subject = None
    #: More stable codes for the JSON answer and the audit record (``signer_code``: the repository's reason for an
    #: ``unknown-signer``: ``unknown-certificate``, ``expired``, ``revoked``, ``wrong-kind`` …).
    details: dict | None = None

    def __init__(self, code: str, message: str):
        super().__init__(message, code=code)


def refused_from(exc, *, subject=None) -> Refused:
    """A :class:`Refused` with the same code as a refusal of another room (``pki.safexml``, ``pki.xmldsig``,
    ``contingency.duis``, ``contingency.gbcs``); ``subject`` (request id and references) for a DUIS answer."""
    refused = Refused(exc.code, getattr(exc, "message", "") or str(exc))
    refused.subject = subject
    return refused
