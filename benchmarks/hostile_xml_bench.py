"""Benchmark: the verifier's work on hostile XML is bounded (issue 7 point 1; docs/xml-signatures.md, "Limits").

    python benchmarks/hostile_xml_bench.py [--repeat 15] [--max-bytes N] [--no-command]

Signs one ordinary SRV 1.6 request (RTDS template, ZAZ1 supplier XML-signing key), then builds families of
hostile documents from it **without signing them again** (the attacker only needs the issuer and serial of
an XML signing certificate, which the repository publishes): namespace declarations × elements (nested and
flat), attributes on one element, deep nesting, many elements, and the largest documents that stay within
the limits (which therefore go through the signer lookup and the cryptography). Each family grows up to the
body size limit (``pki.safexml.DEFAULT_MAX_BYTES``, or ``--max-bytes``). Every document is verified with
``pki.signers.verify``, the DUIS endpoints' verifier (repository lookup included), with that body limit, and
the benchmark prints its refusal code and median time as a multiple of the ordinary request's median verify
time (goal: worst ≤ 20 ×).

Then (unless ``--no-command``) it times ``manage.py duis_verify`` as a fresh process, start-up included, on
the ordinary request and on the two shapes named in the issue (goal: each ≤ 3 × the ordinary request).

It runs against a throw-away SQLite database in a temporary SOLR_DATA_DIR (migrated here, the signer imported
with ``pki_import --trust-unchained``), so it never touches real data.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from signing_world import KEYS, PROJECT_DIR, SIGNER, TEMPLATE, VECTORS_DIR, import_signer, setup_django

from tests.helpers.hostile_xml import declarations, in_body, on_root

# --- hostile shapes, made from the signed bytes (never re-signed) ----------------------------------------------

def ns_nested(signed: bytes, namespaces: int, elements: int) -> bytes:
    return in_body(on_root(signed, declarations(namespaces)), b"<e>" * elements + b"</e>" * elements)


def ns_flat(signed: bytes, namespaces: int, elements: int) -> bytes:
    return in_body(on_root(signed, declarations(namespaces)), b"<e/>" * elements)


def attributes(signed: bytes, count: int) -> bytes:
    return in_body(signed, b"<e" + b"".join(b' a%d="%d"' % (i, i) for i in range(count)) + b"/>")


def nested(signed: bytes, depth: int) -> bytes:
    return in_body(signed, b"<e>" * depth + b"</e>" * depth)


def flat(signed: bytes, elements: int) -> bytes:
    return in_body(signed, b"<e/>" * elements)


def big_text(signed: bytes, size: int, char: bytes = b"x") -> bytes:
    return in_body(signed, b"<e>" + char * size + b"</e>")


def _fill(make, signed: bytes, arg_for_size, limit: int) -> list[bytes]:
    """Documents of one family whose sizes grow towards the body limit."""
    return [make(signed, *arg_for_size(size)) for size in (limit // 64, limit // 8, limit // 2, limit - 4096)]


def families(signed: bytes, limit: int) -> list[tuple[str, bytes]]:
    from pki.safexml import DEFAULT_LIMITS as L

    docs = [
        # The two shapes of issue 7 point 1.
        ("issue: 1,000 ns on the root x 16,000 nested elements", ns_nested(signed, 1000, 16000)),
        ("issue: 60,000 attributes on one element", attributes(signed, 60000)),
        # The measurements of issue 7 point 1, flat (not nested).
        ("issue: 300 ns x 1,200 elements", ns_flat(signed, 300, 1200)),
        ("issue: 1,000 ns x 4,000 elements", ns_flat(signed, 1000, 4000)),
    ]
    for size_doc in _fill(lambda s, n: ns_flat(s, 1000, n), signed, lambda size: ((size - 30_000) // 4,), limit):
        docs.append(("ns x elements: 1,000 ns, flat", size_doc))
    for size_doc in _fill(lambda s, n: ns_flat(s, L.max_namespaces, n), signed, lambda size: (size // 4,), limit):
        docs.append((f"ns x elements: {L.max_namespaces} more ns (over the limit), flat", size_doc))
    for size_doc in _fill(attributes, signed, lambda size: (size // 15,), limit):
        docs.append(("attributes on one element", size_doc))
    for size_doc in _fill(nested, signed, lambda size: (size // 7,), limit):
        docs.append(("deep nesting", size_doc))
    for size_doc in _fill(flat, signed, lambda size: (size // 4,), limit):
        docs.append(("many elements, flat", size_doc))
    # Within every limit, so these reach the signer lookup and both canonicalisations: the real worst case.
    within = [
        (f"within limits: {L.max_namespaces - 4} more ns x {L.max_elements - 30} elements",
         ns_flat(signed, L.max_namespaces - 4, L.max_elements - 30)),
        (f"within limits: depth {L.max_depth} x {L.max_elements - 60} elements",
         in_body(signed, (b"<e>" * (L.max_depth - 4) + b"</e>" * (L.max_depth - 4)) * ((L.max_elements - 60)
                                                                                      // (L.max_depth - 4)))),
        (f"within limits: {L.max_attributes} attributes x 50 elements",
         in_body(signed, (b"<e" + b"".join(b' a%d="1"' % i for i in range(L.max_attributes)) + b"/>") * 50)),
        ("within limits: one text node up to the body limit", big_text(signed, limit - 4096)),
        ("within limits: text of '>' up to the body limit (C14N writes &gt;)",
         big_text(signed, limit - 4096, b">")),
        ("within limits: text of &#13; up to the body limit (C14N writes &#xD;)",
         big_text(signed, (limit - 4096) // 5, b"&#13;")),
        ("within limits: elements with text up to the body limit",
         in_body(signed, (b"<e>" + b"x" * ((limit - 4096) // (L.max_elements - 30) - 7) + b"</e>")
                  * (L.max_elements - 30))),
    ]
    docs.extend(within)
    return [(label, doc) for label, doc in docs if len(doc) > 0]


def _once(verify, data: bytes) -> tuple[float, float, str]:
    """Wall time and CPU time of this thread (the work done, whatever else runs on the machine) of one verify."""
    from pki.xmldsig import SignatureRejected

    start, start_cpu = time.perf_counter(), time.thread_time()
    try:
        verify(data)
        code = "accepted"
    except SignatureRejected as exc:
        code = exc.code
    return time.perf_counter() - start, time.thread_time() - start_cpu, code


def _time(verify, data: bytes, ordinary: bytes, repeat: int) -> tuple[float, float, float, str]:
    """Median wall time of ``data``, and its ratios to the ordinary request: the median over the runs of (the run
    / the median of 5 ordinary verifies timed just before it), in CPU time and in wall time.

    Interleaved, so that the noise of a shared machine hits both alike. CPU time counts the work a document
    costs us; wall time also counts the time other processes had the CPU."""
    times, cpu_ratios, wall_ratios = [], [], []
    for _ in range(repeat):
        base = [_once(verify, ordinary) for _ in range(5)]
        seconds, cpu, code = _once(verify, data)
        times.append(seconds)
        cpu_ratios.append(cpu / statistics.median(b[1] for b in base))
        wall_ratios.append(seconds / statistics.median(b[0] for b in base))
    return statistics.median(times), statistics.median(cpu_ratios), statistics.median(wall_ratios), code


def _command_time(path: Path, repeat: int) -> tuple[float, int, str]:
    times, last = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        last = subprocess.run([sys.executable, str(PROJECT_DIR / "manage.py"), "duis_verify", str(path)],
                              capture_output=True, text=True, check=False, cwd=PROJECT_DIR)
        times.append(time.perf_counter() - start)
    return statistics.median(times), last.returncode, last.stdout.strip().split(" ", 2)[:2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per hostile document (default 15)")
    parser.add_argument("--max-bytes", type=int, default=None,
                        help="body size limit passed to verify (default: pki.safexml.DEFAULT_MAX_BYTES)")
    parser.add_argument("--no-command", action="store_true", help="skip the manage.py duis_verify timings")
    args = parser.parse_args()
    if not TEMPLATE.exists():
        print(f"vectors not found at {VECTORS_DIR} (set SOLR_VECTORS_DIR)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="hostile-xml-bench-") as data_dir:
        setup_django(data_dir)
        import_signer()
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import load_der_private_key

        from pki import safexml, signers, xmldsig

        limit = args.max_bytes or safexml.DEFAULT_MAX_BYTES

        def verify(data: bytes):
            return signers.verify(data, max_bytes=limit)

        key = load_der_private_key((KEYS / f"{SIGNER}.key").read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate((KEYS / f"{SIGNER}.pem").read_bytes())
        signed = xmldsig.sign(TEMPLATE.read_bytes(), key, cert)
        verify(signed)  # warm-up: imports, key cache, database connection

        ordinary = statistics.median(_once(verify, signed)[0] for _ in range(300))
        ordinary_cpu = statistics.median(_once(verify, signed)[1] for _ in range(300))
        print(f"body size limit {limit} bytes; {safexml.DEFAULT_LIMITS}")
        print(f"ordinary SRV 1.6 request ({len(signed)} bytes): verify median {ordinary * 1000:.3f} ms "
              f"(CPU {ordinary_cpu * 1000:.3f} ms)\n")
        print("x CPU / x wall: the median over the runs of (the run / the median of 5 ordinary verifies timed just")
        print("before it), in this thread's CPU time and in wall time.")
        print(f"{'document':<72} {'bytes':>9} {'code':<22} {'median':>10} {'x CPU':>7} {'x wall':>7}")
        worst, worst_wall = (0.0, ""), (0.0, "")
        for label, doc in families(signed, limit):
            seconds, cpu_ratio, wall_ratio, code = _time(verify, doc, signed, args.repeat)
            worst = max(worst, (cpu_ratio, f"{label} ({len(doc)} bytes, {code})"))
            worst_wall = max(worst_wall, (wall_ratio, f"{label} ({len(doc)} bytes, {code})"))
            print(f"{label:<72} {len(doc):>9} {code:<22} {seconds * 1000:>7.2f} ms {cpu_ratio:>6.1f}x "
                  f"{wall_ratio:>6.1f}x")
        print(f"\nworst: {worst[0]:.1f} x the ordinary verify in CPU time (goal <= 20): {worst[1]}")
        print(f"worst in wall time: {worst_wall[0]:.1f} x: {worst_wall[1]}")

        if not args.no_command:
            folder = Path(data_dir) / "docs"
            folder.mkdir()
            shapes = {
                "ordinary SRV 1.6 request": signed,
                "1,000 ns x 16,000 nested elements": ns_nested(signed, 1000, 16000),
                "60,000 attributes on one element": attributes(signed, 60000),
            }
            print("\nmanage.py duis_verify FILE, a fresh process each time (start-up included):")
            base = None
            for index, (label, doc) in enumerate(shapes.items()):
                path = folder / f"{index}.xml"
                path.write_bytes(doc)
                seconds, status, outcome = _command_time(path, args.repeat)
                base = base or seconds
                print(f"  {label:<36} {len(doc):>7} bytes  exit {status}  {' '.join(outcome):<32} "
                      f"median {seconds:.3f} s  {seconds / base:.2f} x the ordinary request (goal <= 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
