"""manage.py solr_drill --supplier SHORT_NAME: a whole SoLR event against a running product (issue 11 point 7).

A thin wrapper around contingency.drill (docs/drill.md): options, the progress line, the summary.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from contingency.drill import SUMMARY_KEYS, DrillRefused, prepare, run


def _default_url() -> str:
    # the address `manage.py serve` (so scripts/run) listens on: HOST and PORT, README "Settings"
    host = os.environ.get("HOST") or "127.0.0.1"
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{os.environ.get('PORT') or '8000'}"


class Command(BaseCommand):
    help = ("Run a SoLR event against the running product through the SRP client: every prepayment meter of the "
            "failed Supplier switched to Credit (docs/drill.md).")

    def add_arguments(self, parser):
        parser.add_argument("--supplier", required=True, help="the failed Supplier's short name (failing-energy)")
        parser.add_argument("--url", default=None, help="the product's base URL (default: the run command's, "
                            "http://HOST:PORT, 127.0.0.1:8000)")
        parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (default 8)")
        parser.add_argument("--manifest", type=Path, default=None,
                            help="the demo manifest (default: SOLR_DATA_DIR/demo/manifest.json, where the run "
                                 "command seeds it)")
        parser.add_argument("--wait", type=float, default=300.0,
                            help="seconds to wait for the Service Responses after the last request (default 300)")
        parser.add_argument("--json", action="store_true", help="the summary as one JSON object on the last line")

    def handle(self, *args, **opts):
        if opts["concurrency"] < 1:
            raise CommandError("concurrency-invalid: --concurrency must be at least 1")
        manifest = opts["manifest"] or Path(settings.DATA_DIR) / "demo" / "manifest.json"
        url = opts["url"] or _default_url()
        try:
            drill = prepare(url, manifest, opts["supplier"])
        except DrillRefused as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        err = self.stderr._out  # the raw stream: the progress line rewrites itself with \r
        err.write(f"{len(drill.meters)} prepayment meters of {drill.supplier} to switch at {drill.url}\n")

        def progress(done: int, total: int, counts: dict) -> None:
            parts = " ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            err.write(f"\r{done}/{total} {parts}   ")
            err.flush()

        try:
            summary = run(drill, concurrency=opts["concurrency"], wait=opts["wait"], progress=progress)
        except DrillRefused as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        err.write("\n")
        err.flush()
        if opts["json"]:
            self.stdout.write(json.dumps({key: summary[key] for key in SUMMARY_KEYS}))
        else:
            self.stdout.write(" ".join(f"{k} {summary[k]}" for k in SUMMARY_KEYS[:-1])
                              + f" in {summary['seconds']} s")
            for code, count in summary["codes"].items():
                self.stdout.write(f"  {code}: {count}")
        if summary["rejected"] or summary["failed"]:
            raise SystemExit(1)
