"""Revoke one certificate, or every certificate of a Party, now or from a set time."""

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pki.models import Certificate
from pki.names import InvalidName, name_key
from pki.revocation import revoke_certificate, revoke_party_certificates
from portal import audit
from portal.errors import Refusal
from portal.models import Party


def parse_when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"invalid-effective-time: --effective {text!r} is not an ISO 8601 date and time") from exc
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Revoke a certificate (by serial) or all certificates of a Party (by short name)."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--serial", help="Decimal serial of the certificate.")
        target.add_argument("--party", help="Short name of the Party whose certificates are all revoked.")
        parser.add_argument("--issuer", help="Issuer name (RFC 2253) when the serial is not unique.")
        parser.add_argument("--reason", required=True)
        parser.add_argument("--effective", help="When it takes effect (ISO 8601, default now; UTC if no zone).")
        parser.add_argument("--decided-by", required=True, help="Who decided (a username or 'system:…').")

    def handle(self, *args, serial, party, issuer, reason, effective, decided_by, **options):
        effective_at = parse_when(effective) if effective else None
        # The audit records name who decided (not 'system'); the context says it came through this command.
        with audit.acting_as(decided_by, context="manage.py pki_revoke"):
            self._revoke(serial, party, issuer, reason, effective_at, decided_by)

    def _revoke(self, serial, party, issuer, reason, effective_at, decided_by):
        try:
            if party:
                try:
                    target = Party.objects.get(short_name=party)
                except Party.DoesNotExist as exc:
                    raise CommandError(f"unknown-party: no Party with short name {party!r}") from exc
                changed = revoke_party_certificates(target, reason=reason, decided_by=decided_by,
                                                    effective_at=effective_at)
                for cert in changed:
                    self.stdout.write(f"revoked serial {cert.serial} ({cert.kind}, {cert.subject_eui}) "
                                      f"from {cert.revoked_at.isoformat()}")
                self.stdout.write(f"{len(changed)} certificate(s) of {target} revoked")
                return
            certs = Certificate.objects.filter(serial=serial)
            if issuer:
                try:
                    certs = certs.filter(issuer_key=name_key(issuer))
                except InvalidName as exc:  # not a Refusal (pure module), but shaped like one: "code: message"
                    raise CommandError(str(exc)) from exc
            found = list(certs)
            if not found:
                raise CommandError(f"unknown-certificate: no certificate with serial {serial}")
            if len(found) > 1:
                raise CommandError(f"serial-ambiguous: serial {serial} is held by {len(found)} issuers: give --issuer")
            cert = revoke_certificate(found[0], reason=reason, decided_by=decided_by, effective_at=effective_at)
        except Refusal as exc:  # RevocationError …: "code: message" (docs/refusal-codes.md)
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"revoked serial {cert.serial} from {cert.revoked_at.isoformat()}")
