"""Benchmark: DUIS ingest over HTTP (issue 10, "Performance"; docs/performance.md).

    python benchmarks/ingest_bench.py [--backend pg|sqlite|both] [--meters 6000] [--workers 3] [--seconds 10]

For each back end it starts what it needs in a temporary folder, on loopback ports of its own (as .ci/run does:
PostgreSQL 15 run as the ``postgres`` user, Redis), migrates, seeds the demo world (``seed_demo --meters N``: an
active SoLR event for Failing Energy, its ADT thresholds, N meters per Supplier), signs one SRV 1.6 → Credit CV 4
per Failing Energy meter with the demo SRP's XML signing key (every device different, so no counter repeats and no
ADT threshold is reached), starts gunicorn (``--workers``) and drives ``/api/v1/serviceT`` from a separate load
process (threads, one kept-alive ``requests.Session`` each). It prints:

* ``saturation``  requests per second with ``--connections`` requests always in flight, for ``--seconds``;
* ``fixed rate``  p50 / p99 latency at ``--rate`` requests per second (open loop: latency from the scheduled
  send time, so a server that falls behind is charged for the queue);
* ``floor``       the single-process rate of bare safe parse + schema check (the official XSD) + xmlsec verify
  (key preloaded) of the same signed messages, and the ratio ingest / floor;
* every answer's DUIS code (a run only counts if they are all I0).

The load process shares the machine's cores with gunicorn and the database: the figures are a lower bound.
``--profile N`` instead sends N requests in one process through Django's test client (the same world, on
``--backend``): the SQL statements of one request, the wall and CPU time per request without a profiler, then
cProfile's top entries (cumulative and own time) over the second half.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from stack import BIN, PROJECT_DIR, PYTHON, SCHEMA_DIR, Services, free_port, postmaster_pid, tree_cpu, wait_for

SUPPLIER = "failing-energy"  # the demo's Supplier whose contingency is active (docs/manifest.md, events[])
CODE = re.compile(rb"ResponseCode>([A-Z0-9]+)<")

# --- the world and the messages --------------------------------------------------------------------------------

def seed(env: dict, data_dir: Path, meters: int) -> Path:
    manage = [PYTHON, str(PROJECT_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "--verbosity", "0"], env=env, check=True, cwd=PROJECT_DIR)
    started = time.perf_counter()
    subprocess.run([*manage, "seed_demo", "--out", str(data_dir / "demo"), "--meters", str(meters)],
                   env=env, check=True, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL)
    print(f"  seeded {meters} meters per Supplier in {time.perf_counter() - started:.1f} s", flush=True)
    return data_dir / "demo" / "manifest.json"


def signed_requests(manifest_path: Path) -> list[bytes]:
    """One signed CV 4 per SMETS2 meter of the active Supplier: distinct devices, so no counter ever repeats."""
    from contingency.duis.requestid import RequestID
    from pki import xmldsig
    from srp_client import manifest, messages

    creds = manifest.credentials(manifest_path, SUPPLIER)
    data = json.loads(manifest_path.read_text())
    with open(data["devices_csv"], newline="") as f:
        rows = list(csv.DictReader(f))
    supplier_ids = set(creds.supplier_user_ids)
    # SMETS2 meters (CV 4: a Pre-Command) in service; SMETS1 meters take CV 1 and another path.
    devices = [r["eui"] for r in rows if r["registered_supplier"] in supplier_ids and r["generation"] == "SMETS2"
               and r["device_type"] in ("ESME", "GSME") and r["smi_status"] == "commissioned"]
    if not devices:
        raise SystemExit(f"no commissioned SMETS2 meter of {SUPPLIER} in {data['devices_csv']}")
    base = int(time.time() * 1000)
    bodies = []
    for i, device in enumerate(devices):
        rid = RequestID(creds.signer.user_id, device, base + i)
        bodies.append(xmldsig.sign(messages.credit_request(rid), creds.signer.key, creds.signer.certificate))
    return bodies


def signed_pre_commands(manifest_path: Path, cv4_bodies: list[bytes], post) -> list[bytes]:
    """For ``--variant 5``: each CV 4 sent (``post``), its Pre-Command signed with the Supplier's Digital Signing
    key as the SRP client does, and the Signed Pre-Command (CV 5) request built and XML-signed."""
    from contingency.duis.requestid import parse as parse_request_id
    from contingency.gbcs import signature
    from pki import safexml, xmldsig
    from srp_client import manifest, messages

    creds = manifest.credentials(manifest_path, SUPPLIER)
    keys = {s.user_id: s.key for s in creds.suppliers}
    out = []
    for body in cv4_bodies:
        answer = messages.read_document(post(body, b"I0"), creds.dcc_certificate)
        header = safexml.parse(body).find(".//{*}RequestID").text
        request_id = parse_request_id(header)
        decoded = messages.check_precommand(answer.precommand, suppliers=frozenset(keys),
                                            device=request_id.target, counter=request_id.counter, execution=None)
        signed = signature.sign(answer.precommand, keys[decoded.precommand.originator])
        out.append(xmldsig.sign(messages.signed_pre_command_request(request_id, signed), creds.signer.key,
                                creds.signer.certificate))
    return out


# --- load (a process of its own) -------------------------------------------------------------------------------

def load_main(argv: list[str]) -> None:
    """``_load URL BODIES MODE SECONDS CONNECTIONS RATE``: prints one JSON line of results."""
    import requests

    url, bodies_path, mode, seconds, connections, rate = argv
    seconds, connections, rate = float(seconds), int(connections), float(rate)
    bodies = pickle.loads(Path(bodies_path).read_bytes())
    lock = threading.Lock()
    latencies, codes, statuses = [], collections.Counter(), collections.Counter()
    errors = []
    next_index = iter(range(len(bodies)))
    headers = {"Content-Type": "application/xml"}
    start = time.perf_counter() + 0.2
    stop_at = start + seconds
    cpu_started = time.process_time()

    def worker() -> None:
        session = requests.Session()
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            if mode == "rate":
                due = start + i / rate
                if due >= stop_at:
                    return
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                began = due
            else:
                began = time.perf_counter()
                if began >= stop_at:
                    return
            try:
                response = session.post(url, data=bodies[i], headers=headers, timeout=60)
            except requests.RequestException as exc:
                with lock:
                    errors.append(type(exc).__name__)
                continue
            took = time.perf_counter() - began
            found = CODE.search(response.content)
            with lock:
                latencies.append(took)
                statuses[response.status_code] += 1
                codes[found.group(1).decode() if found else "?"] += 1

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    print(json.dumps({"n": len(latencies), "elapsed": elapsed, "cpu": time.process_time() - cpu_started,
                      "latencies": latencies, "codes": codes,
                      "statuses": statuses, "errors": collections.Counter(errors), "exhausted": len(latencies)
                      + len(errors) >= len(bodies)}))


def run_load(url: str, bodies: list[bytes], work: Path, mode: str, seconds: float, connections: int,
             rate: float = 0) -> dict:
    path = work / f"bodies-{mode}.pickle"
    path.write_bytes(pickle.dumps(bodies))
    out = subprocess.run([PYTHON, __file__, "_load", url, str(path), mode, str(seconds), str(connections),
                          str(rate)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


# --- the floor -------------------------------------------------------------------------------------------------

def floor_rate(bodies: list[bytes], cert_pem: bytes) -> float:
    """Bare safe parse + XSD + xmlsec verify with the key preloaded, one process, one thread."""
    import xmlsec

    from contingency.duis import structure
    from pki import safexml

    key = xmlsec.Key.from_memory(cert_pem, xmlsec.KeyFormat.CERT_PEM)

    def one(data: bytes) -> None:
        tree = safexml.parse(data)
        structure.check_request(tree, str(SCHEMA_DIR))
        root = tree.getroot() if hasattr(tree, "getroot") else tree
        ctx = xmlsec.SignatureContext()
        ctx.key = key
        ctx.verify(root[-1])

    for data in bodies[:20]:
        one(data)  # warm-up: the schema is loaded once
    started = time.perf_counter()
    for data in bodies:
        one(data)
    return len(bodies) / (time.perf_counter() - started)


# --- one back end ------------------------------------------------------------------------------------------------

def bench_backend(backend: str, args) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"ingest-bench-{backend}-"))
    os.chmod(work, 0o755)
    services = Services(work)
    gunicorn = None
    try:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")}
        data_dir = work / "data"
        data_dir.mkdir(mode=0o700)
        env.update({"SOLR_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "portal.settings",
                    "DUIS_SCHEMA_DIR": str(SCHEMA_DIR), "SOLR_DEMO": "1", "SOLR_ALLOW_INSECURE_ENDPOINTS": "1",
                    "LOG_LEVEL": "WARNING"})
        if backend == "pg":
            env.update(services.start())
        print(f"== {backend}: {env.get('DATABASE_URL', 'SQLite')} / {env.get('CELERY_BROKER_URL', 'filesystem')}",
              flush=True)
        manifest_path = seed(env, data_dir, args.meters)
        bodies = signed_requests(manifest_path)
        print(f"  {len(bodies)} signed CV 4 requests, each to a different meter", flush=True)
        port = free_port()
        gunicorn = subprocess.Popen(
            [str(BIN / "gunicorn"), "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--log-level", "warning", "--control-socket",
             str(data_dir / "gunicorn.ctl")], env=env, cwd=PROJECT_DIR)
        url = f"http://127.0.0.1:{port}/api/v1/serviceT"
        import requests

        wait_for(lambda: requests.get(f"http://127.0.0.1:{port}/", timeout=2).status_code < 500, "gunicorn")
        result = {"backend": backend, "workers": args.workers,
                  "load_average_at_start": Path("/proc/loadavg").read_text().split()[0]}
        print(f"  load average at start: {result['load_average_at_start']}", flush=True)
        used = 0

        # The fixed-rate run's meters are set aside first, so that saturation cannot use them up.
        fixed_bodies = bodies[-int(args.rate * args.seconds):]
        bodies = bodies[:len(bodies) - len(fixed_bodies)]

        def take(n: int) -> list[bytes]:
            nonlocal used
            chunk = bodies[used:used + n]
            used += len(chunk)
            return chunk

        warm = run_load(url, take(args.workers * 50), work, "saturate", 30, args.connections)
        print(f"  warm-up: {warm['n']} answers {dict(warm['codes'])}", flush=True)
        seq = run_load(url, take(200), work, "saturate", 10, 1)
        result["one_connection"] = {"rate": seq["n"] / seq["elapsed"], "p50_ms": 1000 * pct(seq["latencies"], 50),
                                    "p99_ms": 1000 * pct(seq["latencies"], 99), "codes": seq["codes"]}
        print(f"  one connection: {result['one_connection']['rate']:.0f} requests/s, p50 "
              f"{result['one_connection']['p50_ms']:.1f} ms, p99 {result['one_connection']['p99_ms']:.1f} ms, "
              f"answers {dict(seq['codes'])}", flush=True)
        postmaster = postmaster_pid(services)
        web_cpu, db_cpu = tree_cpu(gunicorn.pid), tree_cpu(postmaster) if postmaster else 0.0
        sat = run_load(url, take(args.max_rate * args.seconds), work, "saturate", args.seconds, args.connections)
        web_cpu, db_cpu = tree_cpu(gunicorn.pid) - web_cpu, (tree_cpu(postmaster) - db_cpu) if postmaster else 0.0
        cpu = result["cpu_ms_per_request"] = {"gunicorn": 1000 * web_cpu / max(sat["n"], 1),
                                              "postgres": 1000 * db_cpu / max(sat["n"], 1),
                                              "load generator": 1000 * sat["cpu"] / max(sat["n"], 1)}
        # Derived, not measured: what two cores would serve if nothing but gunicorn and the database ran on them.
        result["two_cores_server_only"] = 2000 / max(cpu["gunicorn"] + cpu["postgres"], 0.001)
        print(f"  CPU per request during saturation: gunicorn {cpu['gunicorn']:.1f} ms, PostgreSQL "
              f"{cpu['postgres']:.1f} ms, the load generator {cpu['load generator']:.1f} ms (so two cores serving "
              f"nothing else: about {result['two_cores_server_only']:.0f} requests/s, derived)", flush=True)
        result["saturation"] = {"rate": sat["n"] / sat["elapsed"], "n": sat["n"], "codes": sat["codes"],
                                "errors": sat["errors"], "exhausted": sat["exhausted"],
                                "p50_ms": 1000 * pct(sat["latencies"], 50), "p99_ms": 1000 * pct(sat["latencies"], 99)}
        print(f"  saturation ({args.connections} connections, {args.seconds} s): "
              f"{result['saturation']['rate']:.0f} requests/s, p50 {result['saturation']['p50_ms']:.0f} ms, "
              f"p99 {result['saturation']['p99_ms']:.0f} ms, answers {dict(sat['codes'])}, errors "
              f"{dict(sat['errors'])}{' (ran out of meters)' if sat['exhausted'] else ''}", flush=True)
        fixed = run_load(url, fixed_bodies, work, "rate", args.seconds,
                         args.rate_connections, args.rate)
        result["fixed"] = {"rate": args.rate, "achieved": fixed["n"] / fixed["elapsed"], "n": fixed["n"],
                           "codes": fixed["codes"], "errors": fixed["errors"],
                           "p50_ms": 1000 * pct(fixed["latencies"], 50), "p99_ms": 1000 * pct(fixed["latencies"], 99)}
        print(f"  fixed rate {args.rate:.0f}/s for {args.seconds} s: p50 {result['fixed']['p50_ms']:.1f} ms, "
              f"p99 {result['fixed']['p99_ms']:.1f} ms ({fixed['n']} answers, {result['fixed']['achieved']:.0f}/s "
              f"achieved, {dict(fixed['codes'])}, errors {dict(fixed['errors'])})", flush=True)
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(30)
        gunicorn = None
        # The floor on the same messages, with nothing else running.
        data = json.loads(manifest_path.read_text())
        srp = next(e["contingency_user_id"] for e in data["events"] if e["supplier"] == SUPPLIER)
        cert = next(c["cert"] for c in data["certificates"] if c["user_id"] == srp and c["kind"] == "xml-signing")
        result["floor"] = floor_rate((bodies + fixed_bodies)[:args.floor_n], Path(cert).read_bytes())
        result["ratio"] = result["saturation"]["rate"] / result["floor"]
        print(f"  floor (bare safe parse + XSD + xmlsec verify, one process): {result['floor']:.0f}/s; "
              f"ingest / floor = {result['ratio']:.2f}", flush=True)
        return result
    finally:
        if gunicorn is not None:
            gunicorn.send_signal(signal.SIGTERM)
            try:
                gunicorn.wait(30)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        services.stop()
        shutil.rmtree(work, ignore_errors=True)


# --- the profile ------------------------------------------------------------------------------------------------

def profile(args) -> None:
    """N requests through Django's test client in this process, under cProfile, on ``--backend`` (pg or sqlite)."""
    import cProfile
    import pstats

    work = Path(tempfile.mkdtemp(prefix="ingest-profile-"))
    os.chmod(work, 0o755)
    services = Services(work)
    try:
        data_dir = work / "data"
        data_dir.mkdir(mode=0o700)
        for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
            os.environ.pop(name, None)
        os.environ.update({"SOLR_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "portal.settings",
                           "DUIS_SCHEMA_DIR": str(SCHEMA_DIR), "SOLR_DEMO": "1", "LOG_LEVEL": "WARNING"})
        if args.backend == "pg":
            os.environ.update(services.start())
        manifest_path = seed(dict(os.environ), data_dir, max(args.meters // 10, args.profile + 50))
        bodies = signed_requests(manifest_path)
        import django

        django.setup()
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        client = Client()

        service = "/api/v1/serviceT"

        def post(body: bytes, expect: bytes | None = None) -> bytes:
            response = client.post(service, data=body, content_type="application/xml", HTTP_HOST="127.0.0.1")
            found = CODE.search(response.content)
            expected = expect or (b"I99" if service.endswith("S") else b"I0")
            if not found or found.group(1) != expected:
                raise SystemExit(f"not {expected.decode()}: {response.status_code} {response.content[:300]!r}")
            return response.content

        if args.variant == 5:
            bodies = signed_pre_commands(manifest_path, bodies[:20 + args.profile], post)
            service = "/api/v1/serviceS"
        for body in bodies[:20]:
            post(body)  # warm-up: imports, schema, caches
        todo = bodies[20:20 + args.profile]
        with CaptureQueriesContext(connection) as queries:
            post(todo[0])
        print(f"one request: {len(queries.captured_queries)} SQL statements")
        for q in queries.captured_queries:
            print("   ", q["sql"][:160])
        todo = todo[1:]
        wall, cpu = time.perf_counter(), time.process_time()
        for body in todo[: len(todo) // 2]:
            post(body)
        half = len(todo) // 2
        print(f"{half} requests in one process ({args.backend}, Django test client, no profiler): "
              f"{1000 * (time.perf_counter() - wall) / half:.2f} ms wall, "
              f"{1000 * (time.process_time() - cpu) / half:.2f} ms CPU of this process each")
        rest = todo[half:]
        # --cpu: the profiler's clock is this process's CPU time, so waiting for the database counts nothing.
        profiler = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
        profiler.enable()
        for body in rest:
            post(body)
        profiler.disable()
        print(f"{len(rest)} more under cProfile:")
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
    finally:
        services.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_load":
        load_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("pg", "sqlite", "both"), default="both")
    parser.add_argument("--meters", type=int, default=6000, help="meters per Supplier (seed_demo --meters)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--connections", type=int, default=16, help="requests in flight at saturation")
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured run")
    parser.add_argument("--rate", type=float, default=200, help="the fixed rate for the latency figures")
    parser.add_argument("--rate-connections", type=int, default=64, help="load threads at the fixed rate")
    parser.add_argument("--max-rate", type=int, default=400, help="meters set aside per second of saturation")
    parser.add_argument("--floor-n", type=int, default=2000, help="messages for the floor")
    parser.add_argument("--profile", type=int, default=0, help="profile N requests in one process instead")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--cpu", action="store_true", help="with --profile: cProfile on CPU time (not wall)")
    parser.add_argument("--variant", type=int, choices=(4, 5), default=4,
                        help="with --profile: the Transform (4, default) or the Signed Pre-Command (5) that follows it")
    args = parser.parse_args()
    if args.profile:
        if args.backend == "both":
            args.backend = "pg"
        profile(args)
        return
    results = [bench_backend(b, args) for b in (("pg", "sqlite") if args.backend == "both" else (args.backend,))]
    print(json.dumps([{k: v for k, v in r.items()} for r in results], default=str))


if __name__ == "__main__":
    main()
