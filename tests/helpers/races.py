"""Races between real database transactions: two people acting at the same instant.

``race`` runs actions in threads released together (each with its own connection, opened first so the actions
themselves overlap); ``hold_transactions_open`` makes a service's audit write sleep inside its transaction, so
the racing transactions overlap however fast the machine is. Used by the four-eyes / compare-and-set tests.
"""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from django.db import connection


def hold_transactions_open(monkeypatch, services_module, seconds: float = 0.2) -> None:
    """Each action of ``services_module`` writes its audit record inside its transaction, after its changes:
    sleeping there holds the transaction open."""
    real = services_module.audit.write

    def write(*args, **kwargs):
        record = real(*args, **kwargs)
        time.sleep(seconds)
        return record

    monkeypatch.setattr(services_module, "audit", SimpleNamespace(write=write))


def race(*actions, deadline: float = 60.0) -> list[object]:
    """Run the actions in threads started together; returns each one's result or exception."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(i, action):
        try:
            connection.ensure_connection()  # connect first, so the actions themselves overlap
            barrier.wait(timeout=30)
            results[i] = action()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=deadline)
    assert not any(t.is_alive() for t in threads), f"a thread did not finish within {deadline:.0f} s"
    return results
