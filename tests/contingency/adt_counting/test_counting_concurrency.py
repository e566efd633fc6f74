"""Concurrent increments for one key lose nothing (issue 10 point 9): threads, each with its own database
connection, count at once; the window's count equals the number of calls. Meant for PostgreSQL (CI's second run,
any DATABASE_URL=postgresql://…), where the increments really overlap; on SQLite the immediate transactions
queue them, and the test holds all the same."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from contingency.adt import counting
from contingency.adt.counting import check_and_count
from contingency.models import AdtCount, AdtCountedRequest

from .world import T0, rid, threshold

pytestmark = pytest.mark.django_db(transaction=True)

THREADS, CALLS = 8, 40


def test_concurrent_increments_lose_nothing(world):
    t = threshold(world, warning=10_000, quarantine=20_000)
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            for i in range(CALLS):
                check_and_count(world.sender, "1.6", world.supplier, at=T0, request_id=rid(n * 1000 + i))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert counting.window_count(t, T0) == THREADS * CALLS
    assert sum(AdtCount.objects.values_list("n", flat=True)) == THREADS * CALLS
    assert AdtCountedRequest.objects.count() == THREADS * CALLS
    assert AdtCount.objects.count() > 1  # spread over shards, not one row


def test_the_same_request_id_from_two_threads_counts_once(world):
    t = threshold(world, warning=10, quarantine=20)
    barrier = threading.Barrier(2)
    verdicts = []

    def work() -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            verdicts.append(check_and_count(world.sender, "1.6", world.supplier, at=T0, request_id=rid(1)))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(v.counted for v in verdicts) == [False, True]
    assert {v.count for v in verdicts} == {1}
    assert counting.window_count(t, T0) == 1
