"""Waiting in tests: poll with a deadline, and tolerate any transient error until the deadline.

A busy machine (2 cores shared by several test runs) makes every first answer slow: a server that is
still starting may refuse, reset or time out a request, a broker may not have its folders yet. None
of that is a failure until the deadline has passed, so a wait never ends on the first exception.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """The condition did not hold before the deadline (the last error, if any, is the cause)."""


def wait_until(check: Callable[[], T], *, timeout: float, what: str, interval: float = 0.1,
               abort: Callable[[], str | None] | None = None) -> T:
    """Call ``check`` until it returns a truthy value and return that value.

    Any exception ``check`` raises counts as "not yet" until ``timeout`` seconds have passed; then
    ``WaitTimeout`` is raised, naming ``what`` and chained to the last error. ``abort`` is asked
    before every attempt: a non-empty string means waiting longer cannot help (say, the process we
    wait for has exited), and the wait fails at once with that message.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    attempts = 0
    while True:
        if abort is not None:
            reason = abort()
            if reason:
                raise WaitTimeout(f"gave up waiting for {what}: {reason}") from last_error
        attempts += 1
        try:
            value = check()
        except Exception as exc:  # any error is transient until the deadline, by design
            last_error = exc
        else:
            if value:
                return value
        if time.monotonic() >= deadline:
            detail = f"; last error: {last_error!r}" if last_error is not None else ""
            raise WaitTimeout(f"{what} did not happen within {timeout:g} s ({attempts} attempts){detail}") \
                from last_error
        time.sleep(interval)
