"""Benchmark: ADT counting (docs/adt-format.md, "Counting"): increments per second for one key, 1 and 8 threads.

    DATABASE_URL=postgresql://solr@127.0.0.1:5432/solr_bench python benchmarks/adt_count_bench.py --seconds 5

Runs on the database DATABASE_URL names (migrating it, and adding a throw-away SRP, Supplier and threshold with
EUIs of its own; use a database made for it), or on a fresh SQLite database in a temporary directory without it.
All threads count requests for the **same** key (one sender, SRV 1.6, one Supplier): the worst case for a hot row.
Each thread has its own connection; each call is its own transaction, as the front door's would be.

* ``check_and_count``  the front door's call: idempotency row (RequestID) + sharded increment + window sum
* ``increment``        the sharded ``INSERT … ON CONFLICT DO UPDATE SET n = n + 1`` alone, in its own transaction
* ``--shards 1``       the same with one row per bucket (the hot row the design avoids), for comparison
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid

from signing_world import setup_django


def _setup(data_dir: str) -> None:
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        os.environ["SOLR_DATA_DIR"] = data_dir
        os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    else:
        setup_django(data_dir)


def _world():
    from django.contrib.auth import get_user_model

    from contingency.models import AdtFile, AdtFileState, AdtThreshold
    from portal.models import Party, PartyKind, UserID, UserRole

    tag = uuid.uuid4().hex[:6]
    srp = Party.objects.create(kind=PartyKind.SRP, name=f"Bench SRP {tag}", short_name=f"bench-srp-{tag}")
    supplier = Party.objects.create(kind=PartyKind.SUPPLIER, name=f"Bench Supplier {tag}",
                                    short_name=f"bench-sup-{tag}")
    high = f"{int(tag, 16) & 0xFFFF:04X}"
    sender = UserID.objects.create(eui=f"90-B3-D5-1F-{high[:2]}-{high[2:]}-00-01", party=srp)
    UserRole.objects.create(holder=sender, role="SC")
    target = UserID.objects.create(eui=f"90-B3-D5-1F-{high[:2]}-{high[2:]}-00-02", party=supplier)
    UserRole.objects.create(holder=target, role="IS")
    person = get_user_model().objects.create(username=f"bench-{tag}")
    adt_file = AdtFile.objects.create(party=srp, uploaded_by=person, file_name="bench.csv", sha256="0" * 64, size=1,
                                      state=AdtFileState.ACTIVE)
    threshold = AdtThreshold.objects.create(file=adt_file, line=2, user_id=sender, srv="1.6", target_supplier=target,
                                            warning_level=10**9, quarantine_level=2 * 10**9, window_minutes=60,
                                            active=True)
    return sender, supplier, threshold


def _run(label: str, threads: int, seconds: float, call) -> float:
    from django.db import connection

    barrier = threading.Barrier(threads + 1)
    stop = threading.Event()
    done = [0] * threads
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait()
            i = 0
            while not stop.is_set():
                call(n, i)
                i += 1
            done[n] = i
        except BaseException as exc:  # noqa: BLE001 - reported
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    rate = sum(done) / elapsed
    print(f"{label:<18} {threads} thread{'s' if threads > 1 else ' '}  {rate:>9,.0f} per second  ({sum(done)} calls)")
    return sum(done)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per case (default 5)")
    parser.add_argument("--shards", type=int, default=None, help="override counting.SHARDS (default: as shipped)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        _setup(data_dir)
        from django.db import connection, transaction

        from contingency.adt import counting

        if args.shards:
            counting.SHARDS = args.shards
        print(f"{connection.vendor}, SHARDS = {counting.SHARDS}, {args.seconds:g} s per case")
        sender, supplier, threshold = _world()
        key = counting.counter_key(threshold)
        run = uuid.uuid4().hex[:8]
        expected = 0
        phase = [0]

        def count(n: int, i: int) -> None:
            counting.check_and_count(sender, "1.6", supplier, request_id=f"bench:{run}:{phase[0]}:{n}:{i}")

        def increment(n: int, i: int) -> None:
            with transaction.atomic():
                counting._increment(key, counting._bucket_start(threshold, counting.timezone.now()))

        for threads in (1, 8):
            phase[0] = threads  # a RequestID per call: none is a repeat (a repeat would count nothing)
            expected += _run("check_and_count", threads, args.seconds, count)
            expected += _run("increment", threads, args.seconds, increment)
        # Nothing lost: every call is in the counts (the window is an hour; the run is well inside it).
        from contingency.models import AdtCount

        total = sum(AdtCount.objects.filter(key=key).values_list("n", flat=True))
        print(f"counted {total}, calls {expected}: {'equal' if total == expected else 'DIFFERENT'}")
        return 0 if total == expected else 1


if __name__ == "__main__":
    sys.exit(main())
