"""What the benchmarks that run the whole product share: PostgreSQL 15 and Redis in a temporary folder on loopback
ports of their own (as .ci/run), waiting for a service with a deadline, the environment of the product's processes,
and the CPU time and memory of a process tree read from /proc (Linux).

Used by benchmarks/ingest_bench.py (issue 10) and benchmarks/campaign_bench.py (issue 11); docs/performance.md.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
VECTORS_DIR = Path(os.environ.get("SOLR_VECTORS_DIR", PROJECT_DIR.parent / "shared" / "vectors"))
SCHEMA_DIR = VECTORS_DIR / "dccboxed-signing-tool" / "schema"
PGBIN = Path("/usr/lib/postgresql/15/bin")
PYTHON = sys.executable
BIN = Path(sys.executable).parent
SERVICE_VARIABLES = ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")

if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # noqa: BLE001 - transient until the deadline
            last = exc
        time.sleep(0.2)
    raise SystemExit(f"{what} did not come up in {seconds} s ({last})")


def product_env(data_dir: Path, **extra: str) -> dict:
    """The environment of the product's processes: this one's, without its service URLs, the data dir, the official
    DUIS XSD, demo mode, plain-http endpoints allowed (the benchmarks' receivers are on loopback), quiet logs."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update({"SOLR_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "portal.settings",
                "DUIS_SCHEMA_DIR": str(SCHEMA_DIR), "SOLR_DEMO": "1", "SOLR_ALLOW_INSECURE_ENDPOINTS": "1",
                "LOG_LEVEL": "WARNING", **extra})
    return env


class Services:
    """PostgreSQL and Redis in ``work`` on loopback ports of their own (as .ci/run), stopped by ``stop``."""

    def __init__(self, work: Path):
        self.work = work
        self.pg_data = work / "pg" / "data"
        self.redis_pid = work / "redis.pid"

    def start(self) -> dict:
        redis_port, pg_port = free_port(), free_port()
        subprocess.run(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--daemonize", "yes",
                        "--save", "", "--appendonly", "no", "--pidfile", str(self.redis_pid),
                        "--logfile", str(self.work / "redis.log"), "--dir", str(self.work)], check=True)
        wait_for(lambda: subprocess.run(["redis-cli", "-p", str(redis_port), "ping"], capture_output=True,
                                        check=False).stdout.strip() == b"PONG", "redis")
        subprocess.run(["install", "-d", "-o", "postgres", "-g", "postgres", str(self.work / "pg")], check=True)
        runuser = ["runuser", "-u", "postgres", "--"]
        subprocess.run([*runuser, str(PGBIN / "initdb"), "-D", str(self.pg_data), "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
        options = (f"-c listen_addresses=127.0.0.1 -p {pg_port} -k {self.work / 'pg'} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        subprocess.run([*runuser, str(PGBIN / "pg_ctl"), "-D", str(self.pg_data), "-l",
                        str(self.work / "pg" / "server.log"), "-w", "-t", "60", "-o", options, "start"],
                       check=True, capture_output=True)
        subprocess.run([*runuser, str(PGBIN / "createdb"), "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres",
                        "solr"], check=True)
        return {"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{pg_port}/solr",
                "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
                "CELERY_RESULT_BACKEND": f"redis://127.0.0.1:{redis_port}/1"}

    def stop(self) -> None:
        if (self.pg_data / "postmaster.pid").exists():
            subprocess.run(["runuser", "-u", "postgres", "--", str(PGBIN / "pg_ctl"), "-D", str(self.pg_data),
                            "-m", "fast", "-w", "stop"], capture_output=True, check=False)
        if self.redis_pid.exists():
            try:
                os.kill(int(self.redis_pid.read_text().strip()), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass

    def postmaster_pid(self) -> int | None:
        pid_file = self.pg_data / "postmaster.pid"
        return int(pid_file.read_text().split()[0]) if pid_file.exists() else None

    def redis_server_pid(self) -> int | None:
        try:
            return int(self.redis_pid.read_text().strip())
        except (OSError, ValueError):
            return None


def postmaster_pid(services: Services) -> int | None:
    return services.postmaster_pid()


# --- /proc -----------------------------------------------------------------------------------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICK = os.sysconf("SC_CLK_TCK")


def _processes() -> dict[int, tuple[int, float, int]]:
    """pid → (parent pid, CPU seconds user + system, resident bytes) of every process alive now."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        # fields[0] is the state (stat's 3rd field): ppid 4th, utime 14th, stime 15th, rss (pages) 24th.
        found[int(stat.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK,
                                        int(fields[21]) * _PAGE)
    return found


def tree(root: int, processes: dict | None = None) -> list[int]:
    """``root`` and its descendants that are alive."""
    processes = _processes() if processes is None else processes
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in processes:
            found.append(pid)
            todo.extend(children.get(pid, ()))
    return found


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root`` and its descendants that are alive (Linux /proc)."""
    processes = _processes()
    return sum(processes[pid][1] for pid in tree(root, processes))


def tree_rss(roots: dict[str, int]) -> dict[str, int]:
    """Resident bytes of each named process tree (the root and its descendants alive now), one /proc read."""
    processes = _processes()
    return {name: sum(processes[pid][2] for pid in tree(root, processes)) for name, root in roots.items()}


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
