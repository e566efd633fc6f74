"""Collecting Service Responses by polling (issue 11 point 3: "responses also readable by polling for a User ID
whose endpoint is down").

The DCC's endpoint is ``GET {base}/api/v1/responses/?user_id=EUI[&since=ISO-8601]`` (docs/delivery.md): a paginated
JSON list (``results``, ``next``) of outcomes, oldest first, each carrying the signed DUIS Service Response exactly
as pushed in ``document``. It is read with an API token of one of the SRP's officers (an SRO or ARO of the Party
holding the User ID: ``Authorization: Token …``, docs/accounts.md). Each document is verified against the DCC's
certificate exactly as a pushed one (:func:`.messages.read_document`); a forged one is skipped and counted, never
handed over.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

import requests
from cryptography import x509

from . import messages
from .errors import ClientError

__all__ = ["POLL_OVERLAP", "PollResult", "next_since", "poll_once"]

MAX_PAGES = 100  # one poll reads at most this many pages; the next poll goes on from ``since``
# How far before the newest outcome seen the next poll starts: an outcome recorded a little earlier but committed
# after that poll read its page still comes back (the ``seen`` set drops the repeats).
POLL_OVERLAP = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class PollResult:
    taken: int
    refused: int
    newest: dt.datetime | None = None  # the newest ``responded_at`` among the outcomes read
    complete: bool = True  # False: it stopped at MAX_PAGES with more pages to read


def next_since(since: dt.datetime, result: PollResult) -> dt.datetime:
    """Where the next poll may start: ``POLL_OVERLAP`` before the newest outcome the last one read, never earlier
    than it started; so a long wait does not read every earlier outcome again on every poll. After a poll cut at
    MAX_PAGES, at that newest outcome itself: with the overlap, a minute holding more than MAX_PAGES pages of
    outcomes would be read again by every poll, which would never get past it (``seen`` drops the repeats)."""
    if result.newest is None:
        return since
    return max(since, result.newest if not result.complete else result.newest - POLL_OVERLAP)


def _responded_at(item: dict) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(item["responded_at"])
    except (KeyError, TypeError, ValueError):
        return None


def _page(session: requests.Session, url: str, params, headers, timeout: float) -> dict:
    try:
        response = session.get(url, params=params, timeout=timeout, headers=headers)
    except requests.RequestException as exc:
        raise ClientError("transport-failed", f"{url}: {exc}") from None
    if response.status_code in (401, 403):  # the token: not transient, waiting would only hide it
        raise ClientError("poll-forbidden", f"{url}: HTTP {response.status_code}: {response.text[:200]}")
    if response.status_code != 200:
        raise ClientError("poll-failed", f"{url}: HTTP {response.status_code}")
    try:
        page = json.loads(response.content)
    except ValueError:
        page = None
    if not isinstance(page, dict) or not isinstance(page.get("results"), list):
        raise ClientError("poll-failed", f"{url}: not a page of results")
    return page


def poll_once(poll_url: str, dcc_certificate: x509.Certificate, callback: Callable[[messages.Document], object], *,
              user_id: str, token: str = "", since: str | dt.datetime | None = None,
              seen: set[str] | None = None, page_size: int | None = None,
              session: requests.Session | None = None, timeout: float = 30.0) -> PollResult:
    """Read every outcome of ``user_id`` (from ``since``) at ``poll_url`` (``{base}/api/v1/responses/``) and hand each
    verified Service Response to ``callback``; with ``seen``, a set kept between polls, each ResponseID only once.

    Raises ClientError ``poll-forbidden`` (401/403: the token), ``poll-failed`` (another status, or not a page of
    results) or ``transport-failed``."""
    session = session or requests.Session()
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    if isinstance(since, dt.datetime):
        since = since.isoformat()
    params: dict | None = {"user_id": user_id, **({"since": since} if since else {}),
                           **({"page_size": page_size} if page_size else {})}
    url: str | None = poll_url
    taken = refused = 0
    newest: dt.datetime | None = None
    for _ in range(MAX_PAGES):
        if url is None:
            break
        page = _page(session, url, params, headers, timeout)
        for item in page["results"]:
            if not isinstance(item, dict):
                continue
            responded = _responded_at(item)
            if responded is not None and (newest is None or responded > newest):
                newest = responded
            text = item.get("document")
            if not text:
                continue  # an outcome not yet answered carries no document
            if seen is not None and item.get("response_id") in seen:
                continue
            try:
                document = messages.read_document(str(text).encode("utf-8"), dcc_certificate)
            except ClientError:
                refused += 1  # a forged or unreadable document decides nothing
                continue
            callback(document)
            taken += 1
            if seen is not None:
                seen.add(item.get("response_id"))
        url, params = page.get("next"), None  # ``next`` carries the query already
    return PollResult(taken, refused, newest, complete=url is None)
