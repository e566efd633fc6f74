"""Why a SoLR event action was refused: ``EventRefused`` with a stable ``code`` (docs/refusal-codes.md,
"SoLR events"; docs/events.md). Pages and the API map the code and ``http_status``, never the wording."""

from __future__ import annotations

from portal.errors import Refusal

# The HTTP status each code answers with; every other code is 400 (bad input). 403: the rules forbid this person
# the action; 404: there is no such record; 409: the record is not (or no longer) in the state the action needs.
HTTP_STATUS = {
    "not-permitted": 403,
    "same-person": 403,
    "not-found": 404,
    "activation-exists": 409,
    "invalid-transition": 409,
    "conflict": 409,
}


class EventRefused(Refusal):
    """A SoLR event action was refused; nothing changed. ``devices`` lists the offending EUIs for
    ``unknown-devices`` (empty otherwise)."""

    code = "event-refused"

    def __init__(self, message: str = "", *, code: str | None = None, http_status: int | None = None,
                 devices: list[str] | None = None):
        super().__init__(message, code=code, http_status=http_status)
        if http_status is None:
            self.http_status = HTTP_STATUS.get(self.code, 400)
        self.devices = list(devices or [])
