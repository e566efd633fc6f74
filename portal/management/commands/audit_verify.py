"""manage.py audit_verify: check the whole audit chain against the key and the anchor, then seal.

Exit status 0 when the log is intact, 1 when it is not: every problem is printed with its code
(``truncated``, ``deleted``, ``resealed``, ``edited``, … — docs/audit.md).

``--reanchor --reason TEXT`` is the operator's procedure after the anchor file was lost: it anchors the
chain as it stands, if the sealed chain verifies, and writes an ``audit.reanchor`` record saying who did it,
why, and what the anchor was before.
"""

import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from portal import audit


class Command(BaseCommand):
    help = ("Verify the audit log (keyed hash chain and its anchor) and seal pending records; exits 1 and "
            "names every problem by its code.")

    def add_arguments(self, parser):
        parser.add_argument("--no-seal", action="store_true",
                            help="do not seal pending records (verify only)")
        parser.add_argument("--reanchor", action="store_true",
                            help="anchor the chain as it stands (after the anchor file was lost); audited")
        parser.add_argument("--reason", default="", help="why you re-anchor (required with --reanchor)")

    def handle(self, *args, no_seal=False, reanchor=False, reason="", **options):
        if reanchor:
            return self._reanchor(reason)
        result = audit.verify()
        # Only extend a chain that is intact; seal() refuses a chain that disagrees with its anchor anyway.
        if result.ok and not no_seal:
            try:
                audit.seal()
            except audit.AuditRefused as exc:
                raise CommandError(f"audit chain BROKEN [{exc.code}]: {exc.message}", returncode=1) from None
            result = audit.verify()
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(f"audit chain BROKEN {problem}")
            raise CommandError(f"{len(result.problems)} problem(s): {', '.join(result.codes)}", returncode=1)
        self.stdout.write(self.style.SUCCESS(str(result)))

    def _reanchor(self, reason: str) -> None:
        if not reason.strip():
            raise CommandError("--reanchor needs --reason TEXT (it goes into the audit record)", returncode=2)
        operator = f"system:audit_verify ({getpass.getuser()}, uid {os.getuid()})"
        try:
            with audit.acting_as(operator, "manage.py audit_verify --reanchor"):
                old, new, before = audit.reanchor(reason)
        except audit.AuditRefused as exc:
            raise CommandError(f"not re-anchored [{exc.code}]: {exc.message}", returncode=1) from None
        for problem in before.problems:
            self.stdout.write(f"accepted by re-anchoring: {problem}")
        was = f"seq {old.seq}" if old else "no valid anchor"
        self.stdout.write(self.style.SUCCESS(f"audit chain re-anchored at seq {new.seq} (was: {was}) in "
                                             f"{audit.anchor_path()}; recorded as audit.reanchor"))
        result = audit.verify()
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(f"audit chain BROKEN {problem}")
            raise CommandError(f"{len(result.problems)} problem(s) remain: {', '.join(result.codes)}", returncode=1)
        self.stdout.write(self.style.SUCCESS(str(result)))
