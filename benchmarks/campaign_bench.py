"""Benchmark: a whole SoLR campaign end to end (issue 11, "Performance"; docs/performance.md, "Campaign").

    python benchmarks/campaign_bench.py [--meters 100000] [--workers 1|2] [--concurrency 2] [--out DIR]

In a temporary folder, on loopback ports of its own (benchmarks/stack.py, as .ci/run): PostgreSQL 15 and Redis;
``migrate``; ``seed_demo --meters OTHERS --campaign M`` (Failing Energy, whose contingency is active, has M
commissioned SMETS2 prepayment meters; the other two Suppliers OTHERS meters of the usual mix; ADT levels at 2 × M,
so the campaign trips none), timed on its own. The SRP's SoLR Contingency User ID gets the endpoint URL of the SRP
client's receiver (``set_endpoint_url``, as its SRO). Then the product: gunicorn (the web), ``celery beat`` (the
sweepers) and ``--workers`` Celery workers, the simulated gateway with a small latency and failure rate 0; and the
SRP, a separate process: the SRP client's command (``python -m srp_client switch --receive-port``) over every
campaign meter, CV 4 then CV 5, the Service Responses pushed by the DCC to its receiver.

It prints the seeding time, the campaign's wall time (first request sent → last Service Response received: the
client's own clock, which stops when the last outcome arrives), meters/s, the outcome counts (the client's and
the database's), the proof that the campaign did what it should (SQL counts: Failing Energy's meters all on Credit
and none on prepayment, the other Suppliers' meters as before, one delivered push per request), the resident memory
(RSS from /proc, each service's processes summed) at start, 25 %, 50 %, 75 % and end of the campaign with the
growth per 10,000 meters (a least-squares slope over the samples after the first 10 %), and the load average
before and after. ``--out DIR`` also writes ``campaign-M-wN.json`` (everything) and ``…-memory.csv`` (the series).
``--seed-only`` stops after timing the seeding. ``--profile N`` instead delivers N requests in this process (the
worker side: one ``deliver`` and its push's ``attempt`` each): SQL statements, wall and CPU time per request, cProfile.

"A worker" is one ``celery -A portal worker`` process with its prefork pool of ``--concurrency`` child processes
(default 2: one per core of this 2-core machine; a delivery spends part of its time waiting — the gateway's
latency, the database, the push's POST — so more children than cores would also do; see docs/performance.md).
Everything stops at the end, also on Ctrl-C, SIGTERM or a failure.
"""

from __future__ import annotations

import argparse
import csv
import http.server
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from stack import BIN, PROJECT_DIR, PYTHON, Services, free_port, loadavg, product_env, tree_cpu, tree_rss, wait_for

SUPPLIER = "failing-energy"  # the campaign Supplier of seed_demo --campaign (contingency.demo.CAMPAIGN_SUPPLIER)
SRP_SRO = "srp.sro"  # the demo SRP's SRO, who may set its User ID's endpoint (docs/manifest.md, people)
MIB = 1024 * 1024
RESPONSE_CODES = {"I0", "E20", "E21", "device-refused", "device-response-invalid"}  # srp_client.client.Tracker


def manage(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, str(PROJECT_DIR / "manage.py"), *args], env=env, check=True, cwd=PROJECT_DIR,
                          **kwargs)


# --- the database's view (psycopg, read only) ------------------------------------------------------------------

class Db:
    def __init__(self, url: str):
        import psycopg

        self.connection = psycopg.connect(url, autocommit=True)

    def rows(self, sql: str, *params) -> list[tuple]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def meters_by_supplier(self) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        for party, mode, n in self.rows(
                "SELECT p.short_name, d.payment_mode, count(*) FROM contingency_device d "
                "JOIN portal_userid u ON u.id = d.registered_supplier_id JOIN portal_party p ON p.id = u.party_id "
                "GROUP BY 1, 2"):
            found.setdefault(party, {})[mode] = n
        return found

    def requests_by_state(self, sender: str) -> dict[str, int]:
        return dict(self.rows("SELECT r.state, count(*) FROM contingency_servicerequest r JOIN portal_userid u "
                              "ON u.id = r.sender_id WHERE u.eui = %s GROUP BY 1", sender))

    def finished(self) -> int:
        return self.rows("SELECT count(*) FROM contingency_servicerequest WHERE state IN "
                         "('responded', 'failed', 'expired')")[0][0]

    def pushes(self) -> dict[str, int]:
        return dict(self.rows("SELECT state, count(*) FROM contingency_push WHERE key LIKE 'response:%%' "
                              "GROUP BY 1"))

    def sweeps(self) -> dict[str, int]:
        """What the sweepers did: requests and pushes they queued again (stamped ``requeued_at``), and delivery
        attempts beyond one per request (a copy that claimed nothing makes no attempt)."""
        (requests, extra), = self.rows(
            "SELECT count(requeued_at), coalesce(sum(greatest(delivery_attempts - 1, 0)), 0) "
            "FROM contingency_servicerequest")
        pushes = self.rows("SELECT count(requeued_at) FROM contingency_push")[0][0]
        return {"requests_requeued": requests, "pushes_requeued": pushes, "extra_delivery_attempts": int(extra)}

    def close(self) -> None:
        self.connection.close()


# --- memory ------------------------------------------------------------------------------------------------------

class Sampler(threading.Thread):
    """Every ``every`` seconds: the RSS of each service's process tree and the requests finished so far."""

    def __init__(self, roots: dict[str, int], db_url: str, every: float):
        super().__init__(name="rss-sampler", daemon=True)
        self.roots, self.db_url, self.every = roots, db_url, every
        self.samples: list[dict] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        db = Db(self.db_url)
        started = time.monotonic()
        try:
            while True:
                try:
                    sample = {"t": round(time.monotonic() - started, 1), "finished": db.finished()}
                    sample.update(tree_rss(self.roots))
                    self.samples.append(sample)
                except Exception as exc:  # noqa: BLE001 - a missed sample is not a failed run
                    print(f"  (sample skipped: {exc})", flush=True)
                if self.stopping.wait(self.every):
                    return
        finally:
            db.close()


def memory_summary(samples: list[dict], services: list[str], meters: int) -> dict:
    """Per service: RSS (MiB) at start, 25/50/75 % of the meters finished and at the end; growth per 10,000 meters
    (least squares over the samples after the first 10 %, so start-up and warm-up do not count as growth)."""
    summary = {}
    for name in services:
        points = [(s["finished"], s[name]) for s in samples if name in s]
        if not points:
            continue

        def at(share: float, points=points) -> float:
            goal = share * meters
            return min(points, key=lambda p: abs(p[0] - goal))[1] / MIB

        steady = [(x, y) for x, y in points if x >= 0.1 * meters] or points
        n = len(steady)
        mx, my = sum(x for x, _ in steady) / n, sum(y for _, y in steady) / n
        var = sum((x - mx) ** 2 for x, _ in steady)
        slope = sum((x - mx) * (y - my) for x, y in steady) / var if var else 0.0
        summary[name] = {"start": points[0][1] / MIB, "25%": at(0.25), "50%": at(0.5), "75%": at(0.75),
                         "end": points[-1][1] / MIB, "max": max(y for _, y in points) / MIB,
                         "growth_per_10k_meters": slope * 10_000 / MIB}
    return summary


# --- processes ---------------------------------------------------------------------------------------------------

class Processes:
    """The product's processes, each in a session of its own so that stopping one stops its children."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(argv, env=env, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        log.close()
        self.running[name] = process
        return process

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 30
        for process in self.running.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(process.pid, signal.SIGKILL)  # what a warm shutdown left behind (children too)
            except (ProcessLookupError, PermissionError):
                pass
            process.wait()


def _sigterm(signum, frame):
    raise SystemExit(128 + signum)  # the finally blocks stop everything


# --- the run -------------------------------------------------------------------------------------------------------

def campaign_devices(manifest: dict, path: Path) -> int:
    """The campaign Supplier's meters from the demo CSV, ``EUI SMETS2`` a line (the client's devices file)."""
    supplier_ids = {u["eui"] for p in manifest["parties"] if p["short_name"] == SUPPLIER for u in p["user_ids"]}
    count = 0
    with open(manifest["devices_csv"], newline="") as source, open(path, "w") as out:
        for row in csv.DictReader(source):
            if row["registered_supplier"] in supplier_ids:
                out.write(f"{row['eui']} {row['generation']}\n")
                count += 1
    return count


def responses_received(results: Path) -> int:
    """Requests whose outcome came from a Service Response the receiver took (I0, E20, E21, a meter's refusal)."""
    with open(results) as handle:
        return sum(json.loads(line).get("code") in RESPONSE_CODES for line in handle if line.strip())


def run(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="campaign-bench-"))
    os.chmod(work, 0o755)
    services = Services(work)
    processes = Processes(work)
    result: dict = {"meters": args.meters, "workers": args.workers, "concurrency": args.concurrency,
                    "gunicorn_workers": args.gunicorn_workers, "clients": args.clients, "others": args.others,
                    "latency": args.latency, "loadavg_start": loadavg()}
    print(f"== campaign: {args.meters} meters, {args.workers} Celery worker(s) × {args.concurrency} processes, "
          f"gunicorn {args.gunicorn_workers} workers; load average {result['loadavg_start']}", flush=True)
    try:
        data_dir = work / "data"
        data_dir.mkdir(mode=0o700)
        env = product_env(data_dir, SOLR_GATEWAY_LATENCY_SECONDS=str(args.latency),
                          SOLR_GATEWAY_JITTER_SECONDS=str(args.latency / 2), SOLR_GATEWAY_FAILURE_RATE="0")
        env.update(services.start())
        started = time.perf_counter()
        manage(env, "migrate", "--verbosity", "0")
        result["migrate_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        manage(env, "seed_demo", "--out", str(data_dir / "demo"), "--meters", str(args.others), "--campaign",
               str(args.meters), "--no-progress", stdout=subprocess.DEVNULL)
        result["seed_seconds"] = time.perf_counter() - started
        manifest_path = data_dir / "demo" / "manifest.json"
        manifest = json.loads(manifest_path.read_text())
        print(f"  migrate {result['migrate_seconds']:.1f} s; seed_demo --meters {args.others} --campaign "
              f"{args.meters} ({manifest['devices']['total']} meters) {result['seed_seconds']:.1f} s", flush=True)
        if args.seed_only:
            result["proof"] = {"ok": True}
            return result

        srp = next(e["contingency_user_id"] for e in manifest["events"] if e["supplier"] == SUPPLIER)
        receive_port = free_port()
        manage(env, "shell", "-c", (
            "from django.contrib.auth import get_user_model; from portal.models import UserID; "
            "from portal.user_ids import set_endpoint_url; "
            f"set_endpoint_url(get_user_model().objects.get(username={SRP_SRO!r}), UserID.objects.get(eui={srp!r}), "
            f"'http://127.0.0.1:{receive_port}/')"))
        devices_file = work / "campaign-devices.txt"
        if campaign_devices(manifest, devices_file) != args.meters:
            raise SystemExit("the devices CSV does not list the campaign's meters")

        db = Db(env["DATABASE_URL"])
        before = db.meters_by_supplier()
        print(f"  meters before: {before}", flush=True)

        web_port = free_port()
        web = processes.start("gunicorn", [str(BIN / "gunicorn"), "portal.wsgi:application", "--bind",
                                           f"127.0.0.1:{web_port}", "--workers", str(args.gunicorn_workers),
                                           "--log-level", "warning"], env)
        beat = processes.start("beat", [str(BIN / "celery"), "-A", "portal", "beat", "--loglevel", "WARNING",
                                        "--schedule", str(data_dir / "celerybeat-schedule")], env)
        workers = [processes.start(f"worker{i}", [str(BIN / "celery"), "-A", "portal", "worker", "--pool", "prefork",
                                                  "--concurrency", str(args.concurrency), "--hostname",
                                                  f"w{i}@campaign", "--loglevel", "WARNING", "--without-gossip",
                                                  "--without-mingle"], env)
                   for i in range(1, args.workers + 1)]
        import requests

        wait_for(lambda: requests.get(f"http://127.0.0.1:{web_port}/", timeout=2).status_code < 500, "gunicorn")
        for i in range(1, args.workers + 1):
            wait_for(lambda i=i: subprocess.run(
                [str(BIN / "celery"), "-A", "portal", "inspect", "ping", "-d", f"w{i}@campaign", "--timeout", "3"],
                env=env, cwd=PROJECT_DIR, capture_output=True, check=False).returncode == 0, f"worker w{i}", 120)
        print("  gunicorn, beat and the worker(s) are up", flush=True)

        roots = {"web": web.pid, "beat": beat.pid, **{f"worker{i}": w.pid for i, w in enumerate(workers, 1)}}
        client_cmd = [PYTHON, "-m", "srp_client", "switch", "--base-url", f"http://127.0.0.1:{web_port}",
                      "--manifest", str(manifest_path), "--supplier-name", SUPPLIER, "--devices-file",
                      str(devices_file), "--concurrency", str(args.clients), "--receive-port", str(receive_port),
                      "--wait", str(args.wait), "--timeout", "120", "--results", str(work / "results.jsonl"),
                      "--json"]
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        client_log = open(work / "srp-client.log", "wb")  # noqa: SIM115 - closed below
        client = subprocess.Popen(client_cmd, cwd=PROJECT_DIR, env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
                                  stdout=subprocess.PIPE, stderr=client_log, start_new_session=True)
        processes.running["srp-client"] = client
        roots["srp-client"] = client.pid
        postmaster, redis_pid = services.postmaster_pid(), services.redis_server_pid()
        if postmaster:
            roots["postgres"] = postmaster
        if redis_pid:
            roots["redis"] = redis_pid
        cpu_before = {name: tree_cpu(pid) for name, pid in roots.items()}
        sampler = Sampler(roots, env["DATABASE_URL"], args.sample)
        sampler.start()
        progress = Progress(env["DATABASE_URL"], args.meters, args.progress)
        progress.start()
        out, _ = client.communicate()
        client_log.close()
        # The SRP client has exited (its CPU is gone from /proc); PostgreSQL's backends that exited are not counted.
        result["cpu_ms_per_meter"] = {name: 1000 * (tree_cpu(pid) - cpu_before[name]) / args.meters
                                      for name, pid in roots.items() if name != "srp-client"}
        ended = resource.getrusage(resource.RUSAGE_CHILDREN)  # the only child that ended meanwhile: the client
        result["cpu_ms_per_meter"]["srp-client"] = 1000 * (ended.ru_utime + ended.ru_stime - children.ru_utime
                                                            - children.ru_stime) / args.meters
        sampler.stopping.set()
        progress.stopping.set()
        sampler.join()
        progress.join()
        lines = out.decode().strip().splitlines()
        try:
            summary = json.loads(lines[-1])
        except (IndexError, ValueError):
            raise SystemExit(f"the SRP client gave no summary (exit {client.returncode}); see its log "
                             f"{(work / 'srp-client.log').read_text()[-2000:]}") from None
        result["client"] = summary
        result["wall_seconds"] = summary["seconds"]
        result["meters_per_second"] = args.meters / summary["seconds"] if summary["seconds"] else None

        # The proof, from the database.
        after = db.meters_by_supplier()
        result["meters_before"], result["meters_after"] = before, after
        result["requests"] = db.requests_by_state(srp)
        result["pushes"] = db.pushes()
        result["sweeps"] = db.sweeps()
        db.close()
        others_unchanged = {k: v for k, v in before.items() if k != SUPPLIER} == \
                           {k: v for k, v in after.items() if k != SUPPLIER}
        proof = {
            "credit": after.get(SUPPLIER, {}).get("credit", 0),
            "prepayment": after.get(SUPPLIER, {}).get("prepayment", 0),
            "other_suppliers_unchanged": others_unchanged,
            "responses_received": responses_received(work / "results.jsonl"),
            "pushes_delivered": result["pushes"].get("delivered", 0),
        }
        proof["ok"] = (proof["credit"] == args.meters and proof["prepayment"] == 0 and others_unchanged
                       and summary.get("switched") == args.meters and proof["responses_received"] == args.meters
                       and proof["pushes_delivered"] == args.meters)
        result["proof"] = proof
        services_named = [n for n in roots]
        result["memory"] = memory_summary(sampler.samples, services_named, args.meters)
        result["samples"] = sampler.samples
        result["loadavg_end"] = loadavg()
        report(result)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            stem = args.out / f"campaign-{args.meters}-w{args.workers}"
            stem.with_suffix(".json").write_text(json.dumps(result, indent=1, default=str))
            with open(f"{stem}-memory.csv", "w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=["t", "finished", *services_named])
                writer.writeheader()
                writer.writerows(sampler.samples)
            print(f"  written: {stem}.json, {stem}-memory.csv", flush=True)
        return result
    finally:
        processes.stop_all()
        services.stop()
        if args.keep:
            print(f"  kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


class Progress(threading.Thread):
    """A progress line every ``every`` seconds (requests finished, from the database)."""

    def __init__(self, db_url: str, meters: int, every: float):
        super().__init__(name="progress", daemon=True)
        self.db_url, self.meters, self.every = db_url, meters, every
        self.stopping = threading.Event()

    def run(self) -> None:
        if self.every <= 0:
            return
        db = Db(self.db_url)
        started = time.monotonic()
        try:
            while not self.stopping.wait(self.every):
                done = db.finished()
                elapsed = time.monotonic() - started
                print(f"  … {elapsed:.0f} s: {done}/{self.meters} delivered ({done / elapsed:.1f}/s); load "
                      f"{loadavg()}", flush=True)
        finally:
            db.close()


def report(result: dict) -> None:
    c = result["client"]
    print(f"  campaign: {result['meters']} meters in {result['wall_seconds']:.1f} s = "
          f"{result['meters_per_second']:.1f} meters/s (first request → last Service Response)", flush=True)
    print(f"  outcomes (SRP client): switched {c.get('switched')} rejected {c.get('rejected')} quarantined "
          f"{c.get('quarantined')} failed {c.get('failed')} accepted-without-response {c.get('accepted')} "
          f"codes {c.get('codes')}", flush=True)
    print(f"  requests (database): {result['requests']}; response pushes: {result['pushes']}", flush=True)
    print(f"  sweepers: {result['sweeps']}", flush=True)
    p = result["proof"]
    print(f"  proof: {SUPPLIER} credit {p['credit']} (== {result['meters']}: {p['credit'] == result['meters']}), "
          f"prepayment {p['prepayment']}; other Suppliers unchanged: {p['other_suppliers_unchanged']}; responses "
          f"received {p['responses_received']}, pushes delivered {p['pushes_delivered']} → "
          f"{'PROVEN' if p['ok'] else 'NOT PROVEN'}", flush=True)
    print("  memory (RSS MiB: start / 25 % / 50 % / 75 % / end, max; growth per 10,000 meters):", flush=True)
    for name, m in result["memory"].items():
        print(f"    {name:11} {m['start']:7.1f} {m['25%']:7.1f} {m['50%']:7.1f} {m['75%']:7.1f} {m['end']:7.1f}"
              f"  max {m['max']:7.1f}  {m['growth_per_10k_meters']:+.2f} MiB/10k", flush=True)
    cpu = ", ".join(f"{name} {ms:.1f}" for name, ms in result.get("cpu_ms_per_meter", {}).items())
    print(f"  CPU ms per meter (live processes only): {cpu}", flush=True)
    print(f"  load average: start {result['loadavg_start']}, end {result['loadavg_end']}", flush=True)


# --- the worker side's profile ----------------------------------------------------------------------------------

class _Accept(http.server.BaseHTTPRequestHandler):
    """The SRP's endpoint for the profile: reads the push and answers 204 (no verification: not this process's CPU
    to measure)."""

    def do_POST(self):  # noqa: N802 - the standard library's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def profile(args) -> None:
    """``--profile N``: N accepted requests made through the front door (gunicorn and the SRP client, no worker
    running), then delivered in this process: ``deliver`` (the task's body) and the ``attempt`` of its push, one after
    the other, as a worker runs them. Prints the SQL statements of one request, wall and CPU time per request (this
    thread's CPU: the endpoint's thread and the database server are not counted) and cProfile's top entries."""
    import cProfile
    import pstats

    work = Path(tempfile.mkdtemp(prefix="campaign-profile-"))
    os.chmod(work, 0o755)
    services = Services(work)
    processes = Processes(work)
    endpoint = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Accept)
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()
    try:
        data_dir = work / "data"
        data_dir.mkdir(mode=0o700)
        env = product_env(data_dir, SOLR_GATEWAY_LATENCY_SECONDS=str(args.latency),
                          SOLR_GATEWAY_JITTER_SECONDS="0", SOLR_GATEWAY_FAILURE_RATE="0")
        env.update(services.start())
        manage(env, "migrate", "--verbosity", "0")
        n = args.profile + 30
        manage(env, "seed_demo", "--out", str(data_dir / "demo"), "--meters", "0", "--campaign", str(n),
               "--no-progress", stdout=subprocess.DEVNULL)
        manifest_path = data_dir / "demo" / "manifest.json"
        manifest = json.loads(manifest_path.read_text())
        srp = next(e["contingency_user_id"] for e in manifest["events"] if e["supplier"] == SUPPLIER)
        manage(env, "shell", "-c", (
            "from django.contrib.auth import get_user_model; from portal.models import UserID; "
            "from portal.user_ids import set_endpoint_url; "
            f"set_endpoint_url(get_user_model().objects.get(username={SRP_SRO!r}), UserID.objects.get(eui={srp!r}), "
            f"'http://127.0.0.1:{endpoint.server_address[1]}/')"))
        devices_file = work / "campaign-devices.txt"
        campaign_devices(manifest, devices_file)
        web_port = free_port()
        processes.start("gunicorn", [str(BIN / "gunicorn"), "portal.wsgi:application", "--bind",
                                     f"127.0.0.1:{web_port}", "--workers", str(args.gunicorn_workers)], env)
        import requests

        wait_for(lambda: requests.get(f"http://127.0.0.1:{web_port}/", timeout=2).status_code < 500, "gunicorn")
        out = subprocess.run([PYTHON, "-m", "srp_client", "switch", "--base-url", f"http://127.0.0.1:{web_port}",
                              "--manifest", str(manifest_path), "--supplier-name", SUPPLIER, "--devices-file",
                              str(devices_file), "--concurrency", str(args.clients), "--json"], cwd=PROJECT_DIR,
                             capture_output=True, text=True, check=False)
        print(f"  front door: {out.stdout.strip().splitlines()[-1]}", flush=True)
        processes.stop_all()

        os.environ.update(env)
        import django

        django.setup()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from contingency.delivery import push, service
        from contingency.models import RequestState, ServiceRequest
        from portal import audit

        pks = list(ServiceRequest.objects.filter(state=RequestState.ACCEPTED).order_by("pk")
                   .values_list("pk", flat=True))
        print(f"  {len(pks)} accepted requests; gateway latency {args.latency} s", flush=True)

        def one(pk: int) -> None:
            queued: list[int] = []
            with audit.acting_as("system:campaign_bench.profile"):
                if service.deliver(pk, queue_push=queued.append) != "responded":
                    raise SystemExit(f"request {pk} not responded")
                if push.attempt(queued[0]).outcome != "delivered":
                    raise SystemExit(f"the push of request {pk} not delivered")

        for pk in pks[:20]:
            one(pk)  # warm-up: imports, the signing identity, connections
        pk = pks[20]
        queued: list[int] = []
        with audit.acting_as("system:campaign_bench.profile"):
            with CaptureQueriesContext(connection) as deliver_sql:
                service.deliver(pk, queue_push=queued.append)
            with CaptureQueriesContext(connection) as push_sql:
                push.attempt(queued[0])
        print(f"  one request: deliver {len(deliver_sql.captured_queries)} SQL statements, its push "
              f"{len(push_sql.captured_queries)}", flush=True)
        for q in [*deliver_sql.captured_queries, *push_sql.captured_queries]:
            print("     ", q["sql"][:150], flush=True)
        rest = pks[21:]
        half = rest[: len(rest) // 2]
        wall, cpu = time.perf_counter(), time.thread_time()
        for pk in half:
            one(pk)
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        print(f"  {len(half)} requests (deliver + push), no profiler: {1000 * wall / len(half):.1f} ms wall, "
              f"{1000 * cpu / len(half):.1f} ms CPU each (of which {1000 * args.latency:.0f} ms is the gateway's "
              "latency, a sleep)", flush=True)
        profiler = cProfile.Profile()
        profiler.enable()
        for pk in rest[len(half):]:
            one(pk)
        profiler.disable()
        print(f"  {len(rest) - len(half)} more under cProfile:", flush=True)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
    finally:
        endpoint.shutdown()
        processes.stop_all()
        services.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=100_000, help="campaign meters (Failing Energy's)")
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes (each with its pool)")
    parser.add_argument("--concurrency", type=int, default=2, help="prefork pool processes per worker")
    parser.add_argument("--gunicorn-workers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=12, help="meters in flight in the SRP client")
    parser.add_argument("--others", type=int, default=1000, help="meters of each other demo Supplier")
    parser.add_argument("--latency", type=float, default=0.02, help="simulated gateway round trip, seconds")
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between memory samples")
    parser.add_argument("--progress", type=float, default=30.0, help="seconds between progress lines (0: none)")
    parser.add_argument("--wait", type=float, default=1800.0, help="seconds the client waits for the last responses")
    parser.add_argument("--out", type=Path, help="write the figures (JSON) and the memory series (CSV) here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs) at the end")
    parser.add_argument("--seed-only", action="store_true", help="stop after timing migrate and seed_demo")
    parser.add_argument("--profile", type=int, default=0,
                        help="instead: deliver N requests in this process, SQL and CPU per request, cProfile")
    parser.add_argument("--top", type=int, default=25, help="cProfile entries printed")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _sigterm)
    if args.profile:
        profile(args)
        return
    result = run(args)
    sys.exit(0 if result["proof"]["ok"] else 1)


if __name__ == "__main__":
    main()
