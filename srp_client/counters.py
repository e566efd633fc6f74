"""RequestID counters, strictly increasing per device (DUIS RequestID; DESIGN §4 row 5).

The DCC refuses a counter that is not above the last one sent to the device in the name of the same GBCS
originator — for a SoLR Contingency request, the failed Supplier (DESIGN §2 step 4), whose own systems may have
sent counters before the SRP took over. So a new counter is ``max(last + 1, floor())`` where ``floor`` defaults to
the time in milliseconds, as the DCC Boxed signing tool chooses counters (reference digest §1): above anything the
Supplier's systems sent that way, and still increasing if the counter file is lost.

A counter is written to the file **before** it is used (append-only, one ``EUI counter`` line each, flushed), so
a crash never hands the same counter out twice. The store is safe for concurrent use by the threads of one
process (one lock); two processes must not share a file. Opening a file compacts it to one line per device.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from contingency.duis.requestid import COUNTER_MAX, format_eui

from .errors import ClientError

__all__ = ["CounterStore", "millis"]


def millis() -> int:
    return time.time_ns() // 1_000_000


class CounterStore:
    """``next(device)`` hands out strictly increasing counters per device; ``path=None`` keeps them in memory."""

    def __init__(self, path: str | os.PathLike | None = None, *, floor: Callable[[], int] = millis):
        self._lock = threading.Lock()
        self._last: dict[str, int] = {}
        self._floor = floor
        self._file = None
        self.path = Path(path) if path is not None else None
        if self.path is not None:
            self._load()
            self._compact()

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="ascii")
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            raise ClientError("counter-file-unreadable", f"{self.path}: {exc}") from None
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                eui, value = line.split()
                device, counter = format_eui(eui), int(value)
            except ValueError:
                # A line cut short by a crash can only be the last one; anything else is a damaged file.
                if number == len(text.splitlines()) and not text.endswith("\n"):
                    continue
                raise ClientError("counter-file-invalid", f"{self.path} line {number}: {line[:80]!r}") from None
            self._last[device] = max(self._last.get(device, -1), counter)

    def _compact(self) -> None:
        temp = self.path.with_name(self.path.name + ".tmp")
        with open(temp, "w", encoding="ascii") as out:
            out.writelines(f"{device} {counter}\n" for device, counter in sorted(self._last.items()))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, self.path)
        self._file = open(self.path, "a", encoding="ascii")  # noqa: SIM115 - kept open for the store's life

    def next(self, device: str) -> int:
        """A counter for ``device`` above every one handed out before (and above ``floor()``), recorded first."""
        device = format_eui(device)
        with self._lock:
            counter = max(self._last.get(device, -1) + 1, self._floor())
            if counter > COUNTER_MAX:
                raise ClientError("counter-exhausted", f"no counter above {self._last[device]} for {device}")
            if self._file is not None:
                self._file.write(f"{device} {counter}\n")
                self._file.flush()
            self._last[device] = counter
            return counter

    def last(self, device: str) -> int | None:
        with self._lock:
            return self._last.get(format_eui(device))

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
