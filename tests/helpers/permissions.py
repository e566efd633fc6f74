"""Permission harness (issue 8 point 12): who gets 200, 403 or 404 from one page or API action.

    from tests.helpers.permissions import assert_access

    assert_access(cast, "get", reverse("offices"), {"dcc_operator1": 200, "srp_sro": 200}, others=404)
    assert_access(cast, "post", f"/api/v1/adt-files/{pk}/approve/", {"srp_sro": (403, "adt.four_eyes")},
                  others=404, api=True, anonymous=403)

Every member of the cast (tests/helpers/cast.py) sends the same request with their own signed-in client;
``expected`` names the members by their cast name, ``others`` is the status every member not named must
get (one of them is always the outsider, the SRO of another Party). A value is a status code, or
``(status, code)`` to check the refusal's stable ``code`` in the JSON body as well (the API's error format,
portal/api/errors.py). An anonymous visitor is tried too: a page must send them to the sign-in page, an API
call must answer ``anonymous`` (401 or 403). Every mismatch is reported at once, as a table.

``url`` may be a function of the member (``lambda member: ...``) when each needs an object of its own, e.g.
when the action changes state; ``data`` is sent as form data, or as JSON with ``api=True``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client

Expected = int | tuple[int, str]


@dataclass(frozen=True)
class Outcome:
    who: str
    status: int
    code: str | None
    location: str


def _send(client: Client, method: str, url: str, data, api: bool):
    send = getattr(client, method.lower())
    headers = {"accept": "application/json"} if api else {}
    if method.lower() in ("get", "head") or data is None:
        return send(url, data, headers=headers) if data is not None else send(url, headers=headers)
    if api:
        return send(url, data=data, content_type="application/json", headers=headers)
    return send(url, data=data, headers=headers)


def _code_of(response) -> str | None:
    if "json" not in response.get("Content-Type", ""):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def outcome(who: str, client: Client, method: str, url: str, data=None, api: bool = False) -> Outcome:
    response = _send(client, method, url, data, api)
    return Outcome(who, response.status_code, _code_of(response), response.get("Location", ""))


def _matches(found: Outcome, expected: Expected) -> bool:
    if isinstance(expected, tuple):
        status, code = expected
        return found.status == status and found.code == code
    return found.status == expected


def assert_access(cast, method: str, url: str | Callable[[object], str], expected: Mapping[str, Expected], *,
                  others: Expected | None = None, data=None, api: bool = False,
                  anonymous: Expected | None = None) -> dict[str, Outcome]:
    """Sends the request as every cast member (and anonymously); fails listing every unexpected answer.

    Returns each member's ``Outcome`` (by cast name, plus ``"anonymous"``) for further checks."""
    unknown = set(expected) - set(cast.NAMES)
    if unknown:
        raise ValueError(f"not in the cast: {sorted(unknown)}")
    if others is None and set(expected) != set(cast.NAMES):
        raise ValueError("say what the members not named get (others=...): every member is tried")
    results: dict[str, Outcome] = {}
    problems: list[str] = []
    for member in cast:
        target = url(member) if callable(url) else url
        want = expected.get(member.name, others)
        found = outcome(member.name, member.client, method, target, data, api)
        results[member.name] = found
        if not _matches(found, want):
            problems.append(f"{member.name:<18} {method.upper()} {target}: got {found.status}"
                            f"{' ' + found.code if found.code else ''}, expected {want}")
    # Nobody signed in: a page sends the visitor to sign in, the API refuses (401/403, no redirect).
    target = url(None) if callable(url) else url
    found = outcome("anonymous", Client(), method, target, data, api)
    results["anonymous"] = found
    if api:
        want = anonymous if anonymous is not None else 403
        if not _matches(found, want):
            problems.append(f"{'anonymous':<18} {method.upper()} {target}: got {found.status}, expected {want}")
    elif anonymous is not None:
        if not _matches(found, anonymous):
            problems.append(f"{'anonymous':<18} {method.upper()} {target}: got {found.status}, expected {anonymous}")
    elif not (found.status == 302 and found.location.startswith(resolve_url(settings.LOGIN_URL))):
        problems.append(f"{'anonymous':<18} {method.upper()} {target}: got {found.status} {found.location!r}, "
                        f"expected a redirect to {resolve_url(settings.LOGIN_URL)}")
    assert not problems, "unexpected access:\n" + "\n".join(problems)
    return results
