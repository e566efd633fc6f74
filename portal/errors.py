"""The one base class for refusals.

A refusal is an exception with a stable, documented ``code`` (docs/refusal-codes.md). Pages, the people's
API and DUIS responses map codes, never wording (DESIGN §3), and tests assert the code.
"""

from __future__ import annotations


class Refusal(Exception):
    """Something was refused; ``code`` is stable, ``message`` is for people.

    Subclasses set a default ``code`` as a class attribute and may take a more specific one per raise.
    """

    code: str = "refused"
    #: The HTTP status pages and the people's API answer with (portal.api.errors): 400 unless a subclass or the
    #: raise says otherwise (403 for an action the rules forbid, 404, 409 for a state that moved on).
    http_status: int = 400

    def __init__(self, message: str = "", *, code: str | None = None, http_status: int | None = None):
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status
        self.message = message or self.code
        super().__init__(f"{self.code}: {self.message}")
