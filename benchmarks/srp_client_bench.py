"""Benchmark: the SRP client's own work per request and its rate against a fake DCC (docs/srp-client.md, "Speed").

    python benchmarks/srp_client_bench.py --n 400

Plain Python, no Django. Throwaway keys (tests/srp_client/fakedcc.py). Prints:

* ``client work``  per request, one thread, no network: build and sign the CV 4, verify the DCC's I0 and read it,
  check the Pre-Command, sign it with the Supplier's key, build and sign the CV 5, verify the I99 — what the client
  spends of its own for one meter (the answers are made beforehand with the DCC's key);
* ``round trip``   requests per second of ``switch_many`` over HTTP against the fake DCC in the same process (so the
  DCC's work — verify, parse, build, sign — shares the CPU and the GIL with the client: a lower bound), at
  concurrency 1 and 8, every device different.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from contingency.duis import responses  # noqa: E402
from contingency.duis.requestid import RequestID  # noqa: E402
from contingency.gbcs import precommand as pcm  # noqa: E402
from contingency.gbcs import signature  # noqa: E402
from pki import xmldsig  # noqa: E402
from srp_client import CounterStore, SrpClient, SupplierKey, Transport, XmlSigner, messages  # noqa: E402
from tests.srp_client import fakedcc  # noqa: E402


def client_work(world, n: int) -> list[float]:
    times = []
    for i in range(n):
        device = f"00-DB-12-01-00-01-{i // 256:02X}-{i % 256:02X}"
        rid = RequestID(world.srp.eui, device, 1_700_000_000_000 + i)
        apdu = pcm.esme_precommand(originator=fakedcc.SUPPLIER_ES, device=device, counter=rid.counter)
        answering = responses.Answering(rid, "1.6", "1.6")
        i0 = xmldsig.sign(responses.pre_command(answering, gbcs_payload=apdu, gbcs_version="4.0", at=fakedcc.NOW),
                          world.dcc.key, world.dcc.cert)
        i99 = xmldsig.sign(responses.acknowledgement(answering, at=fakedcc.NOW), world.dcc.key, world.dcc.cert)
        started = time.perf_counter()
        xmldsig.sign(messages.credit_request(rid), world.srp.key, world.srp.cert)
        document = messages.read_document(i0, world.dcc.cert)
        messages.check_precommand(document.precommand, suppliers={fakedcc.SUPPLIER_ES}, device=device,
                                  counter=rid.counter, execution=None)
        signed = signature.sign(document.precommand, world.supplier_es.key)
        xmldsig.sign(messages.signed_pre_command_request(rid, signed), world.srp.key, world.srp.cert)
        messages.read_document(i99, world.dcc.cert)
        times.append(time.perf_counter() - started)
    return times


def round_trip(world, n: int, concurrency: int) -> float:
    dcc = fakedcc.FakeDcc(world)
    devices = [f"00-DB-12-01-00-02-{i // 256:02X}-{i % 256:02X}" for i in range(n)]
    for device in devices:
        fakedcc.DEVICES[device] = ("ESME", fakedcc.SUPPLIER_ES, "single")
    client = SrpClient(base_url=dcc.url, signer=XmlSigner(world.srp.eui, world.srp.key, world.srp.cert),
                       suppliers=[SupplierKey(world.supplier_es.eui, world.supplier_es.key)],
                       dcc_certificate=world.dcc.cert, counters=CounterStore(), transport=Transport(retries=0))
    started = time.perf_counter()
    results = client.switch_many(devices, concurrency=concurrency)
    elapsed = time.perf_counter() - started
    dcc.stop()
    bad = [r for r in results if r.code != "I99"]
    if bad:
        raise SystemExit(f"{len(bad)} requests not accepted, e.g. {bad[0]}")
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400)
    args = parser.parse_args()
    world = fakedcc.make_world()
    client_work(world, 20)  # warm up
    times = client_work(world, args.n)
    print(f"client work per request: median {statistics.median(times) * 1000:.2f} ms, "
          f"p90 {statistics.quantiles(times, n=10)[-1] * 1000:.2f} ms (n={args.n})")
    for concurrency in (1, 8):
        rate = round_trip(world, args.n, concurrency)
        print(f"round trip against the in-process fake DCC, concurrency {concurrency}: {rate:.0f} meters/s "
              f"(CV 4 + CV 5, n={args.n})")


if __name__ == "__main__":
    main()
