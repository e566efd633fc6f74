"""User IDs as their Parties and the DCC service desk see them, and the one change they make here: the endpoint
URL (issue 9 point 8), where the DCC POSTs a User ID's Service Responses and Alerts (DUIS: the User's response
endpoint; DESIGN §2 step 6, MP134B requirement 7 for the SRP's alerts).

- ``visible_user_ids(person)`` — what a person may see: a DCC operator every User ID, an SRO or (verified) ARO
  their own Party's; nobody else anything. Pages and the API answer 404 for the rest.
- ``may_set_endpoint(person, user_id)`` — the Party's SRO or a DCC operator (issue 9 point 8). An ARO sees the
  endpoint but does not set it: where a Party's traffic goes is the SRO's decision, as the ARO nominations are.
- ``set_endpoint_url(actor, user_id, url)`` — checks the URL (``check_endpoint_url``), stores it and writes the
  audit record ``user_id.endpoint_url`` (before and after) in one transaction; ``""`` clears it (the User then
  polls). A refusal (``EndpointRefused``) changes nothing; its codes are in docs/refusal-codes.md ("User IDs").

The URL rules: ``https`` only, unless ``SOLR_ALLOW_INSECURE_ENDPOINTS`` (the demo and the tests) also allows
``http``; a host is required; no user name or password in the URL (it would sit in the database, the audit log
and every delivery log in clear — an SRP authenticates the DCC by its TLS and the DUIS signature instead).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from portal import audit
from portal.errors import Refusal
from portal.models import OfficeKind, UserID
from portal.offices.services import acting_offices, acting_sro, is_dcc_operator

AUDIT_ACTION = "user_id.endpoint_url"
MAX_LENGTH = UserID._meta.get_field("endpoint_url").max_length


class EndpointRefused(Refusal):
    """Setting a User ID's endpoint URL was refused; nothing changed. 403 when the person may not set it, 400
    for a URL the rules refuse."""

    code = "endpoint-url-invalid"


# --- who ---------------------------------------------------------------------------------------------

def visible_user_ids(person):
    """The User IDs ``person`` may see: all for a DCC operator; their Party's for an acting SRO or ARO."""
    if is_dcc_operator(person):
        return UserID.objects.all()
    parties = acting_offices(person).filter(kind__in=(OfficeKind.SRO, OfficeKind.ARO)).values("party_id")
    return UserID.objects.filter(party_id__in=parties)


def may_set_endpoint(person, user_id: UserID) -> bool:
    return is_dcc_operator(person) or acting_sro(person, user_id.party_id) is not None


# --- the URL -----------------------------------------------------------------------------------------

def allowed_schemes() -> tuple[str, ...]:
    return ("https", "http") if settings.SOLR_ALLOW_INSECURE_ENDPOINTS else ("https",)


def check_endpoint_url(url: str) -> str:
    """The URL as it will be stored (surrounding blanks removed; ``""`` clears), or EndpointRefused with the
    first rule it breaks."""
    url = url.strip()
    if not url:
        return ""
    if len(url) > MAX_LENGTH:
        raise EndpointRefused(f"an endpoint URL has at most {MAX_LENGTH} characters", code="endpoint-url-invalid")
    try:
        parts = urlsplit(url)
        hostname, _port = parts.hostname, parts.port  # .port raises ValueError for a port that is not a number
    except ValueError:
        raise EndpointRefused("this is not a URL", code="endpoint-url-invalid") from None
    scheme = parts.scheme.lower()
    if scheme == "http" and "http" not in allowed_schemes():
        raise EndpointRefused("the DCC sends only over https (http needs SOLR_ALLOW_INSECURE_ENDPOINTS=1)",
                              code="endpoint-url-insecure")
    if scheme not in allowed_schemes():
        raise EndpointRefused(f"an endpoint URL is {' or '.join(allowed_schemes())}, not {scheme or 'schemeless'}",
                              code="endpoint-url-scheme")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise EndpointRefused("an endpoint URL carries no user name or password", code="endpoint-url-credentials")
    if not hostname:
        raise EndpointRefused("an endpoint URL names a host", code="endpoint-url-host-missing")
    try:
        URLValidator(schemes=list(allowed_schemes()))(url)
    except ValidationError:
        raise EndpointRefused("this is not a valid URL", code="endpoint-url-invalid") from None
    return url


# --- the change --------------------------------------------------------------------------------------

def set_endpoint_url(actor, user_id: UserID | int, url: str) -> UserID:
    """Set (or with ``""`` clear) the endpoint URL of ``user_id`` as ``actor``; audited."""
    with transaction.atomic():
        uid = UserID.objects.select_for_update().select_related("party").get(pk=getattr(user_id, "pk", user_id))
        if not may_set_endpoint(actor, uid):
            raise EndpointRefused(f"only an SRO of {uid.party} or a DCC operator sets the endpoint of {uid.eui}",
                                  code="user-id-endpoint-not-allowed", http_status=403)
        url = check_endpoint_url(url)
        before = uid.endpoint_url
        if url != before:
            # update(), not save(): the generic registry hook would write a second, row-diff record of this change.
            UserID.objects.filter(pk=uid.pk).update(endpoint_url=url)
            uid.endpoint_url = url
            audit.write(AUDIT_ACTION, uid, actor=actor.get_username(), before={"endpoint_url": before},
                        after={"endpoint_url": url})
    return uid
