"""manage.py seed_service_matrix [--matrix PATH]: the role → SRV table for the DUIS User Roles other than SoLR
Contingency, from the DUIS request matrix (docs/service-matrix.md). Idempotent: it only adds missing rows.

Without --matrix the path is the setting DUIS_REQUEST_MATRIX; when that is empty the other roles are skipped (the
SoLR Contingency role has its SRV 1.6 from the migration in any case) and the command says so.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from contingency.service_matrix import seeding
from portal import audit
from portal.models import solr_role_code


class Command(BaseCommand):
    help = ("Seed which DUIS User Role may send which SRV from the DUIS request matrix (docs/service-matrix.md); "
            "only adds missing rows.")

    def add_arguments(self, parser):
        parser.add_argument("--matrix", metavar="PATH",
                            help="the request matrix JSON (default: the setting DUIS_REQUEST_MATRIX)")

    def handle(self, *args, **opts):
        path = opts["matrix"] or seeding.configured_matrix()
        if not path:
            self.stdout.write(
                "DUIS_REQUEST_MATRIX is empty and no --matrix was given: the roles other than SoLR Contingency were "
                f"not seeded (the {solr_role_code()} role has its SRV 1.6 from the migration). Set "
                "DUIS_REQUEST_MATRIX or pass --matrix PATH, e.g. "
                "../shared/vectors/duis-parser/duis-request-matrix.json")
            return
        try:
            with audit.acting_as("system:seed_service_matrix"):
                result = seeding.seed_from_matrix(path)
        except seeding.MatrixRefused as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(self.style.SUCCESS(
            f"{result.path}: {result.created} rows added, {result.existing} already there"))
        if result.unknown_roles:
            self.stdout.write(f"skipped roles the registry does not know: {', '.join(sorted(result.unknown_roles))}")
