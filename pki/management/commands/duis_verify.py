"""Verify signed DUIS documents against the certificate repository (issue 7 point 8; docs/xml-signatures.md).

    python manage.py duis_verify FILE [FILE ...]

One line per file, in the order given: ``ok <signer EUI> <serial>`` or ``refused <code> <reason>``. Exit
status 1 if any file is refused. It runs ``pki.signers.verify``, exactly the verifier of the DUIS endpoints
(profile, tree limits, repository lookup with the signer cache, at the current time, XML-signing
certificates only), so an operator sees the verdict the service would give.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pki import safexml, signers
from pki.xmldsig import SignatureRejected


class Command(BaseCommand):
    help = "Verify signed DUIS documents against the certificate repository, as the DUIS endpoints do."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")

    def handle(self, *args, files, **options):
        refused = 0
        for path in files:
            try:
                with path.open("rb") as handle:
                    # One byte over the body limit is enough for the verifier to refuse it as too-large.
                    data = handle.read(safexml.DEFAULT_MAX_BYTES + 1)
            except OSError as exc:
                refused += 1
                self.stdout.write(f"refused unreadable {_one_line(exc.strerror or str(exc))}: {path}")
                continue
            try:
                result = signers.verify(data)
            except SignatureRejected as exc:
                refused += 1
                reason = f"{exc.signer_code}: {exc.message}" if exc.signer_code else exc.message
                self.stdout.write(f"refused {exc.code} {_one_line(reason)}")
            except Exception as exc:  # noqa: BLE001 - e.g. the database is down: no verdict on the file
                raise CommandError(f"{path}: could not verify: {exc}") from exc
            else:
                self.stdout.write(f"ok {result.signer.subject_eui or '-'} {result.serial}")
        if refused:
            raise SystemExit(1)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
