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

import json
from collections.abc import Callable
from dataclasses import dataclass

import requests
from cryptography import x509

from . import messages
from .errors import ClientError

__all__ = ["PollResult", "poll_once"]

MAX_PAGES = 100  # one poll reads at most this many pages; the next poll goes on from ``since``


@dataclass(frozen=True)
class PollResult:
    taken: int
    refused: int


def _page(session: requests.Session, url: str, params, headers, timeout: float) -> dict:
    try:
        response = session.get(url, params=params, timeout=timeout, headers=headers)
    except requests.RequestException as exc:
        raise ClientError("transport-failed", f"{url}: {exc}") from None
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
              user_id: str, token: str = "", since: str | None = None, session: requests.Session | None = None,
              timeout: float = 30.0) -> PollResult:
    """Read every outcome of ``user_id`` (from ``since``) at ``poll_url`` (``{base}/api/v1/responses/``) and hand each
    verified Service Response to ``callback``."""
    session = session or requests.Session()
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    params: dict | None = {"user_id": user_id, **({"since": since} if since else {})}
    url: str | None = poll_url
    taken = refused = 0
    for _ in range(MAX_PAGES):
        if url is None:
            break
        page = _page(session, url, params, headers, timeout)
        for item in page["results"]:
            text = item.get("document") if isinstance(item, dict) else None
            if not text:
                continue  # an outcome not yet answered carries no document
            try:
                document = messages.read_document(str(text).encode("utf-8"), dcc_certificate)
            except ClientError:
                refused += 1
                continue
            callback(document)
            taken += 1
        url, params = page.get("next"), None  # ``next`` carries the query already
    return PollResult(taken, refused)
