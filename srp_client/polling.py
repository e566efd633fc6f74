"""Collecting Service Responses by polling (issue 11 point 3: "responses also readable by polling for a User ID
whose endpoint is down").

**Pending on the DCC side**: the polling endpoint is not built yet, so its URL is configurable and its format
provisional. This client expects, at ``poll_url``, a ``GET`` answered either 204 (nothing waiting) or 200 with
a JSON object ``{"documents": ["<signed sr:Response>", …]}``. Each document is verified against the DCC's
certificate exactly as a pushed one (:func:`.messages.read_document`); a forged one is skipped and counted, never
handed over. When the DCC's endpoint exists this module follows its documented shape (docs/srp-client.md).
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


@dataclass(frozen=True)
class PollResult:
    taken: int
    refused: int


def poll_once(poll_url: str, dcc_certificate: x509.Certificate, callback: Callable[[messages.Document], object], *,
              session: requests.Session | None = None, timeout: float = 30.0) -> PollResult:
    session = session or requests.Session()
    try:
        response = session.get(poll_url, timeout=timeout, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise ClientError("transport-failed", f"{poll_url}: {exc}") from None
    if response.status_code == 204:
        return PollResult(0, 0)
    if response.status_code != 200:
        raise ClientError("poll-failed", f"{poll_url}: HTTP {response.status_code}")
    try:
        documents = json.loads(response.content)["documents"]
    except (ValueError, KeyError, TypeError):
        documents = None
    if not isinstance(documents, list):
        raise ClientError("poll-failed", f"{poll_url}: not {{'documents': [...]}}")
    taken = refused = 0
    for text in documents:
        try:
            document = messages.read_document(str(text).encode("utf-8"), dcc_certificate)
        except ClientError:
            refused += 1
            continue
        callback(document)
        taken += 1
    return PollResult(taken, refused)
