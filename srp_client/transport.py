"""HTTP to the DCC's DUIS endpoints, with retries (issue 11 point 6: "retries configurable").

Retried, with exponential backoff (``base_delay`` doubling, capped at ``max_delay``, with jitter; a 503's
``Retry-After`` in seconds is honoured up to the cap): transport errors (refused or reset connections, timeouts)
and HTTP 5xx, which say the DCC did not decide (e.g. 503 ``dcc-signing-identity-missing``: nothing was checked or
stored, docs/duis-checks.md). **Never** retried: a 4xx, which is the DCC's decision on the request.

``post(url, make_body)`` calls ``make_body(attempt)`` for each attempt, so a caller may send a fresh request each
time (a CV 4 with a new counter: a lost answer may mean the DCC stored the first one, and the same RequestID
would be refused as a replay). Connections are kept alive, one ``requests.Session`` per thread.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from .errors import ClientError

__all__ = ["HttpAnswer", "Transport"]

XML = "application/xml"


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    content_type: str
    body: bytes
    attempts: int
    #: an earlier attempt failed after the request may have reached the DCC (a timeout or a reset connection)
    ambiguous: bool = False


class Transport:
    def __init__(self, *, retries: int = 3, timeout: float = 30.0, base_delay: float = 0.5, max_delay: float = 30.0,
                 verify: bool | str = True, sleep: Callable[[float], None] = time.sleep):
        if retries < 0:
            raise ValueError("retries is 0 or more")
        self.retries = retries
        self.timeout = timeout
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.verify = verify  # a CA bundle path for the DCC's TLS certificate, or True for the system's
        self._sleep = sleep
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.trust_env = False  # no proxy from the environment between the SRP and the DCC
            session.verify = self.verify
        return session

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """The wait before attempt ``attempt + 1``: full jitter over the doubling delay, or Retry-After."""
        if retry_after and retry_after.isdigit():
            return min(float(retry_after), self.max_delay)
        ceiling = min(self.base_delay * 2 ** (attempt - 1), self.max_delay)
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def post(self, url: str, make_body: Callable[[int], bytes]) -> HttpAnswer:
        """POST ``make_body(attempt)`` as application/xml; the first answer that is not 5xx, or ClientError
        ``transport-failed`` / ``dcc-unavailable`` once the retries are spent."""
        ambiguous = False
        last = ""
        for attempt in range(1, self.retries + 2):
            body = make_body(attempt)
            retry_after = None
            try:
                response = self._session().post(url, data=body, headers={"Content-Type": XML},
                                                 timeout=self.timeout, allow_redirects=False)
            except requests.ConnectionError as exc:
                # A refused connection never reached the DCC; a reset or a read timeout may have.
                ambiguous = ambiguous or not _refused(exc)
                code, last = "transport-failed", f"{type(exc).__name__}: {exc}"
            except requests.Timeout as exc:
                ambiguous = True
                code, last = "transport-failed", f"timeout: {exc}"
            except requests.RequestException as exc:
                ambiguous = True
                code, last = "transport-failed", f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 500:
                    return HttpAnswer(response.status_code, response.headers.get("Content-Type", ""),
                                      response.content, attempt, ambiguous)
                code, last = "dcc-unavailable", f"HTTP {response.status_code}: {response.text[:200]}"
                retry_after = response.headers.get("Retry-After")
            if attempt <= self.retries:
                self._sleep(self.delay(attempt, retry_after))
        raise ClientError(code, f"{url}: {last} (after {self.retries + 1} attempts)")


def _refused(exc: requests.ConnectionError) -> bool:
    text = repr(exc)
    return "ConnectionRefusedError" in text or "NewConnectionError" in text
