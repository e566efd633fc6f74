"""Benchmark: the GBCS room's per-request work (docs/gbcs.md, "Speed").

    python benchmarks/gbcs_bench.py --n 2000

Plain Python, no Django and no database. For N distinct counters, times per Pre-Command:

* ``build``      precommand.esme_precommand (ECS02, twin) / gsme_precommand (GCS02): the CV 4 Transform
* ``decode``     decode.decode of the signed Pre-Command (strict, re-encoding included)
* ``sign``       signature.sign with the RTDS supplier key (what the SRP does; here only to make input)
* ``check``      check.check_signed_precommand: decode, compare with the issued bytes, ECDSA verify (CV 5)
* ``wrap``       command.wrap: the ACB MAC (ECDH + KDF + AES-GCM) for the device gateway

The RTDS keys are read from ../shared/vectors (SOLR_VECTORS_DIR to override).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives.serialization import load_pem_private_key  # noqa: E402

from contingency.gbcs import check, command, decode, precommand, signature  # noqa: E402

VECTORS_DIR = Path(os.environ.get("SOLR_VECTORS_DIR", PROJECT_DIR.parent / "shared" / "vectors"))
KEYSTORE = VECTORS_DIR / "gbcs-parser" / "keystore"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"


def _time(label: str, fn, items) -> list:
    out = []
    start = time.perf_counter()
    for item in items:
        out.append(fn(item))
    seconds = time.perf_counter() - start
    print(f"{label:<8} {len(items) / seconds:>10,.0f} per second   {seconds / len(items) * 1e6:>8.1f} µs each")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    key = load_pem_private_key((KEYSTORE / "90b3d51f30010000-ds.key").read_bytes(), None)
    cert = x509.load_pem_x509_certificate((KEYSTORE / "90b3d51f30010000-ds.pem").read_bytes())
    acb = load_pem_private_key((KEYSTORE / "90b3d51f30000002-ka.key").read_bytes(), None)
    meter = x509.load_pem_x509_certificate((KEYSTORE / "00db1234567890a0-ka.pem").read_bytes()).public_key()
    counters = range(10_000, 10_000 + args.n)
    print(f"python {sys.version.split()[0]}, n = {args.n}")
    for kind in ("ESME", "GSME"):
        print(f"-- {kind}")
        if kind == "ESME":
            issued = _time("build", lambda c: precommand.esme_precommand(
                originator=SUPPLIER, device="00-DB-12-34-56-78-90-A0", counter=c, variant="twin"), counters)
        else:
            issued = _time("build", lambda c: precommand.gsme_precommand(
                originator=SUPPLIER, device="00-DB-12-34-56-78-90-A1", counter=c, issuer_event_id=c), counters)
        signed = _time("sign", lambda apdu: signature.sign(apdu, key), issued)
        _time("decode", decode.decode, signed)
        pairs = list(zip(signed, issued, strict=True))
        _time("check", lambda p: check.check_signed_precommand(p[0], p[1], supplier_public_keys=[cert],
                                                                require_credit=True), pairs)
        _time("wrap", lambda s: command.wrap(s, acb, meter), signed)


if __name__ == "__main__":
    main()
