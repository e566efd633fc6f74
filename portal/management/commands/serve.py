"""manage.py serve: the whole product in the foreground — web server and Celery worker together.

It lives in portal, the Django project, because it runs the whole project rather than one app.

It prepares what it needs (migrate, static files, and with SOLR_DEMO=1 the demo world when the database is
empty), then runs gunicorn and a Celery worker with an embedded beat scheduler as child processes. Without
SOLR_DEMO it never seeds (issue 7 point 3): `scripts/run` sets SOLR_DEMO=1 itself and says so.
Ctrl-C (SIGINT) or SIGTERM stops both cleanly; if either child dies, the other is stopped too
and the command exits non-zero, so a supervisor notices.

The console is quiet (issue 6 point 12): the URL, where the logins are, then one line per real event —
gunicorn logs requests and warnings only, the worker prints no banner and periodic tasks log nothing when
they succeed (portal/celery.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from portal.conf import env
from portal.models import Party

STOP_GRACE_SECONDS = 15


class Command(BaseCommand):
    help = "Run the web portal and a Celery worker together in the foreground (Ctrl-C stops both)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=env("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int,
                            default=env("PORT", 8000, lambda p: None if 0 < p < 65536 else "must be 1 to 65535"))
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--worker-concurrency", type=int, default=2)
        parser.add_argument("--demo-dir", default=str(Path(settings.DATA_DIR) / "demo"),
                            help="where seed_demo writes its manifest (SOLR_DEMO=1, empty database)")
        parser.add_argument("--demo-meters", type=int, default=None,
                            help="meters per demo Supplier (default: seed_demo's, SOLR_DEMO_METERS)")
        parser.add_argument("--no-seed", action="store_true", help="do not seed the demo world, even with SOLR_DEMO=1")

    def handle(self, *args, **opts):
        self._prepare(opts)
        children = self._start(opts)
        stopping = {"signal": None}

        def on_signal(signum, frame):
            stopping["signal"] = signum

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        url = f"http://{opts['host']}:{opts['port']}/"
        manifest = Path(opts["demo_dir"]) / "manifest.json"
        self.stdout.write(self.style.SUCCESS(f"SoLR Contingency Service is running at {url}"))
        if settings.SOLR_DEMO and manifest.exists():
            self.stdout.write(f"Demo logins (usernames and passwords) are in {manifest}")
        elif not settings.SOLR_DEMO:
            self.stdout.write("Logins: the accounts of this database (create one with: manage.py createsuperuser)")
        self.stdout.write("Press Ctrl-C to stop the web server and the worker.")
        self.stdout.flush()

        exit_code = 0
        while stopping["signal"] is None:
            dead = [name for name, proc in children.items() if proc.poll() is not None]
            if dead:
                self.stderr.write(f"{', '.join(dead)} stopped unexpectedly; stopping the rest")
                exit_code = 1
                break
            time.sleep(0.2)
        self._stop(children)
        self.stdout.write("Stopped.")
        if exit_code:
            sys.exit(exit_code)

    def _prepare(self, opts) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if os.geteuid() == 0:
            self.stdout.write("Running as root: fine for a local demo; run a deployment as a user of its own.")
        if not settings.SOLR_DEMO:
            return  # a real deployment: never seed, whatever the database holds
        self.stdout.write("Demo mode (SOLR_DEMO=1): demo accounts with published passwords; not for real data.")
        if not opts["no_seed"] and not Party.objects.exists():
            self.stdout.write("Empty database: seeding the demo world…")
            meters = {} if opts["demo_meters"] is None else {"meters": opts["demo_meters"]}
            call_command("seed_demo", out=opts["demo_dir"], **meters)

    def _start(self, opts) -> dict[str, subprocess.Popen]:
        python = sys.executable
        bin_dir = Path(python).parent
        web = [
            str(bin_dir / "gunicorn"), "portal.wsgi:application",
            "--bind", f"{opts['host']}:{opts['port']}",
            "--workers", str(opts["web_workers"]),
            "--access-logfile", "-", "--graceful-timeout", "10",
            # One line per request (the access log); start-up chatter and worker boots only at warning level.
            "--log-level", "warning",
            # One control socket per data directory, so two instances on one host do not collide.
            "--control-socket", str(Path(settings.DATA_DIR) / "gunicorn.ctl"),
        ]
        worker = [
            str(bin_dir / "celery"), "-A", "portal", "--quiet", "worker", "--beat",
            "--concurrency", str(opts["worker_concurrency"]), "--loglevel", settings.LOG_LEVEL,
            # A node name of its own (pid and host), so that two instances never share one (Celery warns).
            "--hostname", f"serve-{os.getpid()}@%h",
            "--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME,
        ]
        # Children get their own process group so a terminal's Ctrl-C reaches only us; we then
        # stop them in order instead of both dying mid-request.
        # SOLR_RUN_COMMAND: the worker started here (a local run) does not repeat Celery's running-as-root
        # warning on the console; this command has said it once already (portal/celery.py).
        spawn = dict(cwd=str(settings.BASE_DIR), start_new_session=True,
                     env={**os.environ, "SOLR_RUN_COMMAND": "1"})
        return {
            "web server": subprocess.Popen(web, **spawn),
            "celery worker": subprocess.Popen(worker, **spawn),
        }

    def _stop(self, children: dict[str, subprocess.Popen]) -> None:
        for proc in children.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # gunicorn and celery both shut down gracefully on TERM
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for proc in children.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
