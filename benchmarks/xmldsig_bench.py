"""Benchmark: DUIS XML signing and verification (docs/xml-signatures.md, "Performance").

    python benchmarks/xmldsig_bench.py --n 1000

Builds N SRV 1.6 requests from the RTDS template (distinct counters), signs them with the ZAZ1 supplier
XML-signing key, and times per document:

* ``sign``         pki.xmldsig.sign
* ``verify``       pki.signers.verify (the DUIS endpoints' verifier): pki.repository.resolve_signer behind
                   the signer cache (PKI_SIGNER_CACHE_SECONDS, default 300 s), which re-reads the row's
                   revocation columns on every hit (pki.repository.revocation_token)
* ``no cache``     the same with the cache off (PKI_SIGNER_CACHE_SECONDS = 0): one repository lookup per document
* ``bare xmlsec``  parse + python-xmlsec verify with the key preloaded: no lookup, no profile checks

It runs against a throw-away SQLite database in a temporary SOLR_DATA_DIR (migrated here, the signer
imported with ``pki_import --trust-unchained``: the ZAZ1 xml-sign certificates chain to no CA we know), so it
never touches real data.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time

from signing_world import KEYS, SIGNER, TEMPLATE, VECTORS_DIR, import_signer, setup_django

SR = "http://www.dccinterface.co.uk/ServiceUserGateway"




def _requests(n: int) -> list:
    from lxml import etree

    template = etree.fromstring(TEMPLATE.read_bytes())
    request_id = template.find(f"{{{SR}}}Header/{{{SR}}}RequestID")
    originator, target, _ = request_id.text.split(":")
    documents = []
    for counter in range(10_000, 10_000 + n):
        request_id.text = f"{originator}:{target}:{counter}"
        documents.append(etree.fromstring(etree.tostring(template)))
    return documents


def _summary(label: str, seconds: list[float]) -> float:
    ms = sorted(s * 1000 for s in seconds)
    median = statistics.median(ms)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    print(f"{label:<26} median {median:7.3f} ms   p95 {p95:7.3f} ms   {1000 / statistics.mean(ms):8.0f} ops/s")
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="number of documents (default 1000)")
    args = parser.parse_args()
    if not TEMPLATE.exists():
        print(f"vectors not found at {VECTORS_DIR} (set SOLR_VECTORS_DIR)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="xmldsig-bench-") as data_dir:
        setup_django(data_dir)
        import xmlsec
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import load_der_private_key
        from lxml import etree

        from pki import signers, xmldsig

        key = load_der_private_key((KEYS / f"{SIGNER}.key").read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate((KEYS / f"{SIGNER}.pem").read_bytes())
        import_signer()
        documents = _requests(args.n)

        sign_times, signed = [], []
        for document in documents:
            start = time.perf_counter()
            signed.append(xmldsig.sign(document, key, cert))
            sign_times.append(time.perf_counter() - start)

        # Warm-up (first-call imports, key cache, database connection), not timed.
        signers.verify(signed[0])
        bare_key = xmlsec.Key.from_memory((KEYS / f"{SIGNER}.pem").read_bytes(), xmlsec.KeyFormat.CERT_PEM)

        def bare(data: bytes) -> None:
            root = etree.fromstring(data)
            ctx = xmlsec.SignatureContext()
            ctx.key = bare_key
            ctx.verify(root[-1])

        bare(signed[0])
        from django.conf import settings

        def ours_uncached(data: bytes) -> None:
            settings.PKI_SIGNER_CACHE_SECONDS = 0  # every call asks the repository (one ORM query)
            try:
                signers.verify(data)
            finally:
                del settings.PKI_SIGNER_CACHE_SECONDS

        ours_uncached(signed[0])
        # Interleave the verifiers so that machine noise hits them alike.
        verify_times, uncached_times, bare_times = [], [], []
        for data in signed:
            start = time.perf_counter()
            signers.verify(data)
            verify_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            ours_uncached(data)
            uncached_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            bare(data)
            bare_times.append(time.perf_counter() - start)

        print(f"{args.n} SRV 1.6 requests, {len(signed[0])} bytes each; signer lookup: pki.repository (SQLite)")
        _summary("sign", sign_times)
        ours = _summary("verify (ours)", verify_times)
        uncached = _summary("verify (ours, no cache)", uncached_times)
        reference = _summary("verify (bare xmlsec)", bare_times)
        print(f"ratio ours / bare (median): {ours / reference:.2f}  (goal <= 1.5)")
        print(f"ratio ours without the signer cache / bare (median): {uncached / reference:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
