"""Registering certificates issued elsewhere (e.g. the DCC Boxed ZAZ1 test PKI) so that signatures made
with them can be verified.

Sources: PEM or DER certificate files, and DCC Boxed ``keystore.json`` (EUI → usage → serial →
{certificate, privateKey, role, name}; only the certificate is read, never the private key).
Copes with what the vectors contain (reference §4):
* the pre-1.4.1 DSP certificate whose OU is ``137`` in decimal (read as role 0x89);
* certificates that do not chain to any CA we know (the ``xml-sign-*`` ones, which carry the Z1 name but
  not its signature): imported only when the caller says so (``trust_unchained``, ``pki_import
  --trust-unchained``), then trusted by lookup as DCC Boxed does, and recorded as such on the row
  (``trusted_unchained``) and in the audit record; otherwise skipped;
* a certificate whose issuer name is one of *our* CAs but whose signature does not verify with it is a
  forgery: always refused;
* the SMKI Organisation Certificate profile is checked (EC P-256 key, ecdsa-with-SHA256, critical Key Usage
  with exactly one bit);
* certificates ``cryptography`` cannot parse (the ``mdr-*`` ones, whose AlgorithmIdentifier carries an
  explicit NULL): skipped with a message.
A CA certificate (basicConstraints CA) is registered as an external CertificateAuthority, so that later
imports can be checked against it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.db import transaction
from django.utils.text import slugify

from portal import audit
from portal.models import UserID

from . import profile
from .issuance import IssuanceRefused, check_policy, holder_for
from .models import Certificate, CertificateAuthority, CertificateSource
from .names import name_key, rfc2253
from .store import NotAnOrgCertificate, fingerprint, is_ca, issuing_ca_for, new_certificate, smki_facts


@dataclass
class ImportReport:
    imported: list[Certificate] = field(default_factory=list)
    already: list[Certificate] = field(default_factory=list)
    authorities: list[CertificateAuthority] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (label, why)
    trusted: list[Certificate] = field(default_factory=list)  # known rows newly marked trusted_unchained

    def lines(self) -> list[str]:
        out = [f"imported {c.label or c.serial}: {c.kind} {c.subject_eui or '-'} serial {c.serial} "
               f"issuer {c.issuer_name}"
               f"{'' if c.chain_verified else ' (not chained to a known CA: trusted by --trust-unchained)'}"
               for c in self.imported]
        out += [f"now trusted unchained {c.label or c.serial}: serial {c.serial}" for c in self.trusted]
        out += [f"already known {c.label or c.serial}: serial {c.serial}" for c in self.already]
        out += [f"CA {a.subject_name} registered (external, no key)" for a in self.authorities]
        out += [f"skipped {label}: {why}" for label, why in self.skipped]
        return out


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """All certificates in a PEM blob, or the one DER certificate."""
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def _refuse(label: str, cert: x509.Certificate, why: str, report: ImportReport, subject=None, *,
            code: str) -> None:
    """Skip a certificate that must not be trusted, with an audit record carrying the refusal ``code``
    (docs/refusal-codes.md, SMKI)."""
    report.skipped.append((label, why))
    audit.write("certificate.import_refuse", subject, subject_type="" if subject else "pki.Certificate",
                subject_repr="" if subject else f"serial {cert.serial_number}", after={
        "label": label, "serial": str(cert.serial_number), "issuer": rfc2253(cert.issuer),
        "subject": rfc2253(cert.subject), "fingerprint": fingerprint(cert), "code": code, "reason": why,
    })


def import_certificate(cert: x509.Certificate, *, label: str, report: ImportReport,
                       trust_unchained: bool = False) -> None:
    """Register one certificate (see the module docstring). ``trust_unchained``: accept a certificate that
    chains to no known CA, trusted by lookup (the row and the audit record say so)."""
    if is_ca(cert):
        _import_ca(cert, label=label, report=report)
        return
    existing = Certificate.objects.filter(fingerprint=fingerprint(cert)).first()
    if existing is not None:
        if trust_unchained and not (existing.chain_verified or existing.trusted_unchained):
            existing.trusted_unchained = True
            existing.save(update_fields=["trusted_unchained"])
            audit.write("certificate.trust_unchained", existing, before={"trusted_unchained": False},
                        after={"trusted_unchained": True, "label": label})
            report.trusted.append(existing)
        else:
            report.already.append(existing)
        return
    if Certificate.objects.filter(serial=str(cert.serial_number), issuer_key=name_key(cert.issuer)).exists():
        report.skipped.append((label, f"a different certificate with issuer {rfc2253(cert.issuer)} and serial "
                                      f"{cert.serial_number} is already registered"))
        return
    if len(cert.subject) == 0:
        report.skipped.append((label, "a Device Certificate (empty subject), not an Organisation Certificate"))
        return
    try:
        facts = smki_facts(cert)
        profile.check_org_certificate(cert)
    except (NotAnOrgCertificate, profile.ProfileError) as exc:
        report.skipped.append((label, f"not an SMKI Organisation Certificate: {exc}"))
        return
    named = list(CertificateAuthority.objects.filter(subject_key=name_key(cert.issuer)))
    issuer = issuing_ca_for(cert, named)
    mismatch = ""
    if issuer is None and named:
        mismatch = (f"its issuer name {rfc2253(cert.issuer)} is that of CA "
                    f"{', '.join(ca.name for ca in named)}, but its signature does not verify with that CA's key")
        if any(ca.level != CertificateAuthority.Level.EXTERNAL for ca in named):
            _refuse(label, cert, f"a forgery: {mismatch} (one of this service's own CAs)", report,
                    code="forged-own-ca")
            return
        if not trust_unchained:
            _refuse(label, cert, f"a forgery or a test certificate: {mismatch}; import it with --trust-unchained "
                                 f"only if it is to be trusted by lookup (as DCC Boxed does)", report,
                    code="issuer-signature-mismatch")
            return
    elif issuer is None and not trust_unchained:
        report.skipped.append((label, f"chains to no known CA (issuer {rfc2253(cert.issuer)}): import its CA "
                                      f"certificate first, or give --trust-unchained to trust it by lookup"))
        return
    user_id = UserID.objects.select_related("party").filter(eui=facts.eui).first() if facts.eui else None
    if user_id is not None:
        # The certificate would be linked to a registered User ID: the same issuance policy as pki.issuance
        # (MP134B business requirement 2 included), so an import cannot give it what issuance would refuse.
        try:
            check_policy(holder_for(user_id), facts.kind)
        except IssuanceRefused as exc:
            _refuse(label, cert, f"refused by the issuance policy: {exc.reason}", report, subject=user_id,
                    code=exc.code)
            return
    row = new_certificate(cert, source=CertificateSource.IMPORTED, ca=issuer, chain_verified=issuer is not None,
                          user_id=user_id, label=label, facts=facts)
    row.trusted_unchained = issuer is None
    row.save()
    audit.write("certificate.import", row, after={
        "label": label, "serial": row.serial, "issuer": row.issuer_name, "subject": row.subject_name,
        "kind": row.kind, "chain_verified": row.chain_verified, "trusted_unchained": row.trusted_unchained,
        "issuer_signature_mismatch": mismatch or None, "fingerprint": row.fingerprint,
    })
    report.imported.append(row)


def _import_ca(cert: x509.Certificate, *, label: str, report: ImportReport) -> None:
    der = cert.public_bytes(Encoding.DER)
    named_alike = list(CertificateAuthority.objects.filter(subject_key=name_key(cert.subject)))
    for ca in named_alike:
        if bytes(ca.der) == der:
            return
    own = [ca.name for ca in named_alike if ca.level != CertificateAuthority.Level.EXTERNAL]
    if own:
        _refuse(label, cert, f"a CA certificate with the name of this service's own CA {', '.join(own)} "
                             f"({rfc2253(cert.subject)}) but not that certificate: refused", report,
                code="own-ca-name-taken")
        return
    base = slugify(f"external-{rfc2253(cert.subject)}")[:40] or "external"
    name, n = base, 1
    while CertificateAuthority.objects.filter(name=name).exists():
        n += 1
        name = f"{base}-{n}"
    ca = CertificateAuthority.objects.create(
        name=name, level=CertificateAuthority.Level.EXTERNAL, subject_name=rfc2253(cert.subject),
        subject_key=name_key(cert.subject), serial=str(cert.serial_number), der=der, key_ref="",
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc, active=False,
    )
    audit.write("ca.import", ca, after={"label": label, "subject": ca.subject_name, "serial": ca.serial})
    report.authorities.append(ca)


def _parse_or_skip(data: bytes, label: str, report: ImportReport) -> list[x509.Certificate]:
    if b"PRIVATE KEY-----" in data and b"CERTIFICATE-----" not in data:
        report.skipped.append((label, "a private key, not a certificate: not read"))
        return []
    try:
        certs = load_certificates(data)
        for cert in certs:  # cryptography parses lazily: touch what we read, so errors surface here
            cert.signature_algorithm_oid, cert.extensions, cert.subject, cert.issuer  # noqa: B018
        return certs
    except ValueError as exc:
        report.skipped.append((label, f"cannot be parsed ({exc})"))
        return []


def import_keystore_json(path: Path, report: ImportReport | None = None, *,
                         trust_unchained: bool = False) -> ImportReport:
    report = report or ImportReport()
    data = json.loads(Path(path).read_text())
    with transaction.atomic():
        for eui, usages in data.items():
            for usage, serials in usages.items():
                for serial, entry in serials.items():
                    label = entry.get("name") or f"{eui}-{usage}-{serial}"
                    pem = entry.get("certificate", "")
                    if not pem:
                        report.skipped.append((label, "no certificate"))
                        continue
                    for cert in _parse_or_skip(pem.encode(), label, report):
                        import_certificate(cert, label=label, report=report, trust_unchained=trust_unchained)
    return report


def import_paths(paths: list[Path], *, trust_unchained: bool = False) -> ImportReport:
    """Import files and directories (their *.pem, *.crt, *.cer, *.der), CA certificates first.

    ``trust_unchained``: also accept certificates that chain to no known CA (see the module docstring).
    """
    report = ImportReport()
    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(sorted(p for p in path.iterdir() if p.suffix in (".pem", ".crt", ".der", ".cer"))
                     if path.is_dir() else [path])
    parsed: list[tuple[x509.Certificate, str]] = []
    with transaction.atomic():
        for path in files:
            if path.suffix != ".json":
                parsed.extend((cert, path.stem) for cert in _parse_or_skip(path.read_bytes(), path.name, report))
        for cert, label in parsed:
            if is_ca(cert):
                import_certificate(cert, label=label, report=report)
        for path in files:
            if path.suffix == ".json":
                import_keystore_json(path, report, trust_unchained=trust_unchained)
        for cert, label in parsed:
            if not is_ca(cert):
                import_certificate(cert, label=label, report=report, trust_unchained=trust_unchained)
    return report
