"""Benchmark: the front door's role → SRV lookup (docs/service-matrix.md, "The front door's lookup").

    python benchmarks/service_matrix_bench.py --n 20000

Times per call, on a throw-away SQLite database in a temporary SOLR_DATA_DIR (migrated here; the other roles
seeded from the conformance data's request matrix when it is there):

* ``may_send``   contingency.service_matrix.may_send (one query through a plain cursor)
* ``orm``        the same read through the ORM (``command_variants_orm``), for comparison
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time

from signing_world import VECTORS_DIR, setup_django


def _time(label: str, call, n: int) -> None:
    call()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    us = sorted(s * 1e6 for s in samples)
    print(f"{label:<34} median {statistics.median(us):7.1f} us   p99 {us[int(0.99 * (len(us) - 1))]:7.1f} us")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20000, help="calls per case (default 20000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        setup_django(data_dir)
        from contingency.service_matrix import may_send
        from contingency.service_matrix.seeding import seed_from_matrix
        from contingency.service_matrix.services import command_variants_orm

        matrix = VECTORS_DIR / "duis-parser" / "duis-request-matrix.json"
        if matrix.exists():
            seed_from_matrix(matrix)
        for roles, srv, cv in ((["SC"], "1.6", 4), (["IS", "GS"], "6.2.9", 1), (["SC"], "6.2.9", 1)):
            _time(f"may_send({roles}, {srv}, {cv})", lambda r=roles, s=srv, c=cv: may_send(r, s, c), args.n)
        _time("orm (['SC'], 1.6)", lambda: command_variants_orm("1.6", ["SC"]), args.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
