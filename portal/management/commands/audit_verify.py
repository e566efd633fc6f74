"""manage.py audit_verify: seal what is pending, then check the whole audit chain.

Exit status 0 when the chain is intact, 1 when it is broken (the first bad record is named).
"""

from django.core.management.base import BaseCommand, CommandError

from portal import audit


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log; exits non-zero and names the first bad record."

    def add_arguments(self, parser):
        parser.add_argument("--no-seal", action="store_true",
                            help="do not seal pending records first (verify only what is already sealed)")

    def handle(self, *args, no_seal=False, **options):
        if not no_seal:
            result = audit.verify()
            # Only extend a chain that is intact: sealing on top of a broken chain would hide nothing,
            # but it would make the report about the newest records instead of the tampered one.
            if result.ok:
                audit.seal()
        result = audit.verify()
        if not result.ok:
            raise CommandError(str(result), returncode=1)
        self.stdout.write(self.style.SUCCESS(str(result)))
