"""The client's one exception: a stable ``code`` (docs/srp-client.md lists them) and a message for people."""

from __future__ import annotations


class ClientError(Exception):
    """Something the client refuses or cannot do. ``code`` is stable; callers map codes, never wording.

    ``cause`` is the code of the refusal underneath when there is one: the ``pki.xmldsig`` rejection code of a
    badly signed answer, the ``contingency.gbcs`` code of a Pre-Command that does not decode."""

    def __init__(self, code: str, message: str, *, cause: str | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.cause = cause
