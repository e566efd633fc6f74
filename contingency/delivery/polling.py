"""Reading Service Responses by polling (issue 11 point 3; docs/delivery.md "Polling"): for a User ID whose
endpoint is down, the same signed documents the DCC pushes.

Who may read a User ID's responses: a DCC operator (the service desk), and an acting SRO or ARO of the Party that
holds the User ID. The SRP's system has no portal account of its own; its officers' API tokens (or a token of a
service account given an ARO office) read its User IDs' responses. Chosen over a signed DUIS poll request because
DUIS defines none, and the people's API already has tokens stored hashed, expiry, revocation and audit of offices.
Everyone else is refused with ``responses-forbidden`` (also for a User ID that does not exist, so nothing leaks).
"""

from __future__ import annotations

import datetime as dt

from portal.errors import Refusal
from portal.eui import InvalidEUI64, parse_eui64
from portal.models import UserID
from portal.offices.services import acting_offices, is_dcc_operator

from ..models import ServiceRequest
from ..models.requests import OUTCOMES


class PollRefused(Refusal):
    """Codes: ``eui64-invalid`` (400), ``responses-forbidden`` (403)."""

    code = "responses-forbidden"
    http_status = 403


def readable_user_id(person, user_id: str) -> UserID | None:
    """The User ID named by ``user_id`` if ``person`` may read its responses; PollRefused otherwise. None: a DCC
    operator named a User ID that does not exist (nothing to read)."""
    try:
        eui = parse_eui64(user_id)
    except InvalidEUI64 as exc:
        raise PollRefused(exc.message, code=exc.code, http_status=400) from exc
    uid = UserID.objects.select_related("party").filter(eui=eui).first()
    if is_dcc_operator(person):
        return uid
    offices = acting_offices(person)
    if uid is not None and (offices.sros().of_party(uid.party_id).exists()
                            or offices.aros().of_party(uid.party_id).exists()):
        return uid
    raise PollRefused("you may read only the responses of your own Party's User IDs", code="responses-forbidden")


def responses_for(person, user_id: str, since: dt.datetime | None = None):
    """Requests of ``user_id`` that have their Service Response, oldest outcome first, from ``since`` on
    (inclusive: a poller dedupes by ResponseID)."""
    uid = readable_user_id(person, user_id)
    if uid is None:
        return ServiceRequest.objects.none()
    rows = (ServiceRequest.objects.of_sender(uid).filter(state__in=OUTCOMES).select_related("device")
            .order_by("responded_at", "pk"))
    if since is not None:
        rows = rows.filter(responded_at__gte=since)
    return rows
