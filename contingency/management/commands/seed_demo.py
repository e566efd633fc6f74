"""manage.py seed_demo --out DIR [--meters N] [--campaign M]: the demo world and DIR/manifest.json (docs/manifest.md).

Idempotent: run it again and it creates nothing new and writes the same manifest. The work is done by
contingency.demo (meters, manifest) and portal.demo (the registry and the people).
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from contingency import conf, demo
from portal.demo import DemoConflict


class Command(BaseCommand):
    help = "Create the demo Parties, people and meters (what is missing) and write DIR/manifest.json."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="folder for manifest.json and devices.csv")
        parser.add_argument("--meters", type=int, default=conf.get("SOLR_DEMO_METERS"),
                            help="meters per demo Supplier (default %(default)s)")
        parser.add_argument("--campaign", type=int, default=0,
                            help="Failing Energy gets M commissioned SMETS2 prepayment meters instead (a fresh "
                                 "database; benchmarks/campaign_bench.py)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **opts):
        if opts["meters"] < 0 or opts["campaign"] < 0:
            raise CommandError("--meters and --campaign cannot be negative")
        progress = not opts["no_progress"] and sys.stderr.isatty()
        try:
            result = demo.seed_demo(opts["out"], meters=opts["meters"], campaign=opts["campaign"],
                                    progress=progress)
        except DemoConflict as exc:
            raise CommandError(f"cannot seed the demo world: {exc.code}: {exc.message}") from exc
        self.stdout.write(self.style.SUCCESS(
            f"Demo world ready: {result.meters_created} meters created; manifest {result.manifest_path}"
        ))
