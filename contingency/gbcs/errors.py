"""The GBCS room's one refusal class.

Plain Python on purpose (no ``portal`` import: ``portal/__init__`` starts the Celery app, which reaches for
Django settings), so the SRP client and the benchmarks use this room without Django. Like
``pki.safexml.XMLRejected`` it is a ``ValueError`` with a stable ``code``; the codes are listed in
docs/gbcs.md and docs/refusal-codes.md, and callers (the DUIS pipeline) map codes, never wording.
"""

from __future__ import annotations


class GbcsRefused(ValueError):
    """A GBCS frame, or the values to build one, refused. ``code`` is stable (docs/gbcs.md)."""

    def __init__(self, code: str, message: str = ""):
        self.code = code
        self.message = message or code
        super().__init__(f"{code}: {self.message}")
