"""Create the DCC's CA hierarchy (root + issuing Organisation CA), once."""

from django.core.management.base import BaseCommand, CommandError

from pki.ca import init_hierarchy
from portal import audit
from portal.errors import Refusal


class Command(BaseCommand):
    help = "Create the SMKI root CA and issuing Organisation CA (EC P-256, ecdsa-with-SHA256) unless they exist."

    def handle(self, *args, **options):
        try:
            with audit.acting_as("system:pki_init"):
                root, issuing, created = init_hierarchy()
        except Refusal as exc:  # CANotReady, KeyStoreError …: "code: message" (docs/refusal-codes.md)
            raise CommandError(str(exc)) from exc
        verb = "created" if created else "already present"
        self.stdout.write(f"root CA {root.subject_name} serial {root.serial}: {verb}")
        self.stdout.write(f"issuing CA {issuing.subject_name} serial {issuing.serial}: {verb}")
