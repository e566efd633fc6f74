"""SMKI data: the DCC's own CAs, Organisation Certificates (issued here or imported), certificate orders,
the issuance policy (which DUIS role may hold which kind of certificate) and published CRLs.

Private keys are never stored here: a CA row names its key by ``key_ref`` in the key store (pki.keystore).
"""

from __future__ import annotations

import functools
import hashlib

from cryptography import x509
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.eui import EUI64Field


class CertificateKind(models.TextChoices):
    """What a certificate is for (SMKI Organisation Certificate usages)."""

    XML_SIGNING = "xml-signing", "XML signing (DUIS)"
    DIGITAL_SIGNING = "digital-signing", "Digital Signing (GBCS commands)"
    KEY_AGREEMENT = "key-agreement", "Key Agreement (GBCS)"


class KeyUsage(models.TextChoices):
    """The single Key Usage bit of an SMKI Organisation Certificate (SMKI Org CP, Annex B)."""

    DIGITAL_SIGNATURE = "digitalSignature", "digitalSignature"
    KEY_AGREEMENT = "keyAgreement", "keyAgreement"


class CertificateSource(models.TextChoices):
    ISSUED = "issued", "Issued by this service's CA"
    IMPORTED = "imported", "Imported (issued elsewhere)"


# SMKI remote-party role codes carried in the subject OU as two hex digits (DCC Boxed CertificateRole).
ROLE_ROOT = 0x00
ROLE_SUPPLIER = 0x02
ROLE_NETWORK_OPERATOR = 0x03
ROLE_ACCESS_CONTROL_BROKER = 0x04
ROLE_ISSUING_AUTHORITY = 0x07
ROLE_OTHER = 0x7F
ROLE_XML_SIGN = 0x87
ROLE_DSP_XML_SIGN = 0x89


@functools.lru_cache(maxsize=4096)
def _parse_der(der: bytes) -> x509.Certificate:
    # Shared by every Certificate row with the same DER: the signer lookup builds a fresh model
    # instance per request, and parsing once per process keeps it well under the time budget.
    return x509.load_der_x509_certificate(der)


class CertificateAuthority(models.Model):
    """One of the DCC's CAs (root, issuing Organisation CA), or an external CA certificate known by import.

    ``key_ref`` names the private key in the key store; it is empty for CAs whose key we do not hold.
    """

    class Level(models.TextChoices):
        ROOT = "root", "Root CA"
        ISSUING = "issuing", "Issuing Organisation CA"
        EXTERNAL = "external", "External CA (no key held)"

    name = models.SlugField(max_length=64, unique=True)
    level = models.CharField(max_length=10, choices=Level.choices)
    subject_name = models.CharField(max_length=255, help_text="RFC 2253 subject, e.g. CN=SCZ1,OU=07.")
    subject_key = models.CharField(max_length=255, db_index=True, editable=False,
                                   help_text="Normalised subject, for matching issuer names.")
    serial = models.CharField(max_length=50)
    der = models.BinaryField()
    key_ref = models.CharField(max_length=128, blank=True, help_text="Private key reference in the key store.")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    crl_number = models.PositiveBigIntegerField(default=0, help_text="Number of the last CRL issued.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "certificate authority"
        verbose_name_plural = "certificate authorities"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.subject_name})"

    def x509(self) -> x509.Certificate:
        return _parse_der(bytes(self.der))

    def pem(self) -> str:
        from cryptography.hazmat.primitives.serialization import Encoding

        return self.x509().public_bytes(Encoding.PEM).decode()


class CertificateQuerySet(models.QuerySet):
    """Certificates in the domain's words. One rule for the instant ``at`` (default now), used everywhere:

    * **valid** when ``not_before <= at <= not_after`` — both ends inclusive, as X.509 validity is
      (RFC 5280 §4.1.2.5: "the period of time from notBefore through notAfter, inclusive") — and not revoked;
    * **revoked** when ``revoked_at <= at``: a revocation takes effect at its effective time, inclusive
      (SMKI RAPP; the CRL lists it from then on, pki.crl);
    * **expired** when not revoked and ``not_after < at``; **not yet valid** when not revoked and ``at < not_before``;
    * **revocation scheduled** when valid and ``revoked_at > at``.

    ``Certificate.is_valid`` / ``is_revoked`` / ``status`` say the same of one row in memory, and
    ``pki.repository.check_signer`` (the signer path) uses them, so a row and its query never disagree at the
    boundaries (tests/pki/test_certificate_queryset.py tests each one at the instant and a microsecond either side).
    """

    @staticmethod
    def _at(at):
        return at if at is not None else timezone.now()

    @staticmethod
    def revoked_q(at) -> Q:
        return Q(revoked_at__isnull=False, revoked_at__lte=at)

    @classmethod
    def valid_q(cls, at) -> Q:
        return ~cls.revoked_q(at) & Q(not_before__lte=at, not_after__gte=at)

    def valid(self, at=None):
        """Within notBefore…notAfter (inclusive) at ``at`` and not revoked at ``at``."""
        return self.filter(self.valid_q(self._at(at)))

    def revoked(self, at=None):
        """Revoked with an effective time at or before ``at``."""
        return self.filter(self.revoked_q(self._at(at)))

    def expired(self, at=None):
        at = self._at(at)
        return self.filter(~self.revoked_q(at) & Q(not_after__lt=at))

    def not_yet_valid(self, at=None):
        at = self._at(at)
        return self.filter(~self.revoked_q(at) & Q(not_before__gt=at))

    def not_ended(self, at=None):
        """Neither revoked nor expired at ``at``: valid, or not yet valid (it will be)."""
        at = self._at(at)
        return self.filter(~self.revoked_q(at) & Q(not_after__gte=at))

    def revocation_scheduled(self, at=None):
        """Valid at ``at``, with a revocation recorded that takes effect after ``at``."""
        at = self._at(at)
        return self.filter(self.valid_q(at) & Q(revoked_at__gt=at))

    def revocation_pending(self, at=None):
        """Any certificate (valid or not) whose recorded revocation takes effect after ``at`` (for CRL nextUpdate)."""
        return self.filter(revoked_at__gt=self._at(at))

    def held_by(self, user_id):
        """Certificates of a User ID: linked to it, or (imported before it was registered) carrying its EUI.
        ``user_id`` is a ``portal.UserID`` or an EUI-64 (then matched by the subject EUI only)."""
        if isinstance(user_id, str):
            from portal.eui import parse_eui64

            return self.filter(subject_eui=parse_eui64(user_id))
        return self.filter(Q(user_id=user_id.pk) | Q(user_id__isnull=True, subject_eui=user_id.eui))

    def usable_for(self, user_id, kind, at=None):
        """Valid certificates (``valid(at)``) of ``kind`` (one kind, or an iterable of kinds) held by ``user_id``
        (see ``held_by``). Trust (chain or --trust-unchained), Key Usage and the issuing CA's validity are
        the signer path's checks (pki.repository.check_signer), not this one."""
        kinds = [kind] if isinstance(kind, str) else list(kind)
        return self.held_by(user_id).valid(at).filter(kind__in=kinds)

    def with_status(self, status: str, at=None):
        """The certificates whose ``Certificate.status(at)`` is ``status``: valid, revoked, expired,
        not-yet-valid or revocation-scheduled (a valid certificate with a later revocation is in both)."""
        at = self._at(at)
        methods = {"valid": self.valid, "revoked": self.revoked, "expired": self.expired,
                   "not-yet-valid": self.not_yet_valid, "revocation-scheduled": self.revocation_scheduled}
        if status not in methods:
            raise ValueError(f"status must be one of {', '.join(methods)}")
        return methods[status](at)


class Certificate(models.Model):
    """An SMKI Organisation Certificate: issued by this service's CA, or imported (e.g. the ZAZ1 test PKI).

    Looked up by (issuer, serial) on every signed DUIS request (pki.repository.resolve_signer).
    """

    serial = models.CharField(max_length=50, db_index=True, help_text="Decimal serial number (up to 20 bytes).")
    issuer_name = models.CharField(max_length=255, help_text="RFC 2253 issuer, as in DUIS KeyInfo (CN=Z1,OU=07).")
    issuer_key = models.CharField(max_length=255, editable=False,
                                  help_text="Normalised issuer name: the lookup key (compare names, not text).")
    subject_name = models.CharField(max_length=255, blank=True)
    subject_eui = EUI64Field(null=True, blank=True, db_index=True, verbose_name="subject EUI-64")
    role_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="SMKI remote-party role (OU).")
    kind = models.CharField(max_length=20, choices=CertificateKind.choices, db_index=True)
    key_usage = models.CharField(max_length=20, choices=KeyUsage.choices)
    der = models.BinaryField()
    fingerprint = models.CharField(max_length=64, unique=True, editable=False, help_text="SHA-256 of the DER.")
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    source = models.CharField(max_length=10, choices=CertificateSource.choices, default=CertificateSource.ISSUED)
    ca = models.ForeignKey(CertificateAuthority, null=True, blank=True, on_delete=models.PROTECT,
                           related_name="certificates", help_text="The CA that issued it, when known.")
    chain_verified = models.BooleanField(default=False, help_text="Signature checked against the issuing CA.")
    trusted_unchained = models.BooleanField(
        default=False, help_text="Chains to no known CA, trusted by lookup because it was imported with "
                                 "pki_import --trust-unchained (e.g. the DCC Boxed xml-sign certificates).")
    user_id = models.ForeignKey("portal.UserID", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="certificates", verbose_name="User ID")
    label = models.CharField(max_length=128, blank=True, help_text="Where an imported certificate came from.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Revocation (SMKI RAPP): the effective time may be in the future (a scheduled revocation).
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True,
                                      help_text="When the revocation takes effect.")
    revocation_reason = models.CharField(max_length=255, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True, help_text="Who decided the revocation.")
    revocation_recorded_at = models.DateTimeField(null=True, blank=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["issuer_key", "serial"], name="unique_certificate_issuer_serial"),
        ]
        indexes = [models.Index(fields=["user_id", "kind"], name="pki_cert_userid_kind")]

    def __str__(self) -> str:
        who = self.subject_eui or self.subject_name or "?"
        return f"{self.get_kind_display()} {who} #{self.serial}"

    def save(self, *args, **kwargs):
        if not self.fingerprint and self.der:
            self.fingerprint = hashlib.sha256(bytes(self.der)).hexdigest()
        if not self.issuer_key and self.issuer_name:
            from .names import name_key

            self.issuer_key = name_key(self.issuer_name)
        super().save(*args, **kwargs)

    def x509(self) -> x509.Certificate:
        cached = self.__dict__.get("_x509")
        if cached is None:
            cached = self.__dict__["_x509"] = _parse_der(bytes(self.der))
        return cached

    def public_key(self):
        return self.x509().public_key()

    def pem(self) -> str:
        from cryptography.hazmat.primitives.serialization import Encoding

        return self.x509().public_bytes(Encoding.PEM).decode()

    @property
    def serial_int(self) -> int:
        return int(self.serial)

    def is_revoked(self, at=None) -> bool:
        """Revoked at ``at`` (default now): ``revoked_at <= at`` (the rule of CertificateQuerySet)."""
        at = at or timezone.now()
        return self.revoked_at is not None and self.revoked_at <= at

    def in_validity_period(self, at=None) -> bool:
        """``not_before <= at <= not_after``, inclusive (RFC 5280 §4.1.2.5), revocation aside."""
        at = at or timezone.now()
        return self.not_before <= at <= self.not_after

    def is_valid(self, at=None) -> bool:
        """In its validity period and not revoked at ``at``: the row-level twin of CertificateQuerySet.valid."""
        at = at or timezone.now()
        return self.in_validity_period(at) and not self.is_revoked(at)

    def status(self, at=None) -> str:
        """'revoked', 'expired', 'not-yet-valid', 'revocation-scheduled' or 'valid' at ``at`` (default now),
        by the rule of CertificateQuerySet (each status is the row-level twin of its queryset method)."""
        at = at or timezone.now()
        if self.is_revoked(at):
            return "revoked"
        if self.not_after < at:
            return "expired"
        if self.not_before > at:
            return "not-yet-valid"
        if self.revoked_at is not None:
            return "revocation-scheduled"
        return "valid"


class IssuancePolicy(models.Model):
    """One permission: holders of DUIS role ``role`` may be issued certificates of kind ``kind``.

    Data, not code: seeded by a migration, edited by DCC staff in the admin (docs/pki.md). One rule is
    fixed whatever the data says (MP134B business requirement 2): a SoLR Contingency User ID may hold
    XML signing certificates only.
    """

    role = models.CharField(max_length=8, help_text="DUIS User Role code (IS, ES, GS, …, or the SoLR Contingency one).")
    kind = models.CharField(max_length=20, choices=CertificateKind.choices)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = "issuance policy entry"
        verbose_name_plural = "issuance policy"
        ordering = ["role", "kind"]
        constraints = [models.UniqueConstraint(fields=["role", "kind"], name="unique_policy_role_kind")]

    def __str__(self) -> str:
        return f"{self.role} may hold {self.kind}"

    def clean(self) -> None:
        from portal.models import solr_role_code

        if self.role == solr_role_code() and self.kind != CertificateKind.XML_SIGNING:
            raise ValidationError(
                {"kind": "a SoLR Contingency User ID may hold XML signing certificates only (MP134B requirement 2)"}
            )

    def save(self, *args, **kwargs):
        self.clean()
        super().save(*args, **kwargs)


class CertificateOrder(models.Model):
    """A request for a certificate (from a CSR or a generated key) and what became of it."""

    class Status(models.TextChoices):
        ISSUED = "issued", "Issued"
        REFUSED = "refused", "Refused"

    requested_by = models.CharField(max_length=150, help_text="Username, or 'system:<process>'.")
    requested_at = models.DateTimeField(default=timezone.now)
    user_id = models.ForeignKey("portal.UserID", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="certificate_orders", verbose_name="User ID")
    requested_eui = models.CharField(max_length=64, help_text="The User ID as asked for.")
    kind = models.CharField(max_length=20)
    csr_pem = models.TextField(blank=True, help_text="The CSR as received (public data).")
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.TextField(blank=True, help_text="Why it was refused.")
    refusal_code = models.CharField(max_length=40, blank=True,
                                    help_text="The stable code of the refusal (docs/refusal-codes.md, SMKI).")
    certificate = models.OneToOneField(Certificate, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="order")

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.kind} for {self.requested_eui}: {self.status}"

    @property
    def issued(self) -> bool:
        return self.status == self.Status.ISSUED


class RevocationList(models.Model):
    """A CRL this service signed. The newest per CA is what the repository serves (pki.crl)."""

    ca = models.ForeignKey(CertificateAuthority, on_delete=models.PROTECT, related_name="crls")
    number = models.PositiveBigIntegerField()
    this_update = models.DateTimeField()
    next_update = models.DateTimeField()
    der = models.BinaryField()
    revoked_serials = models.JSONField(default=list, help_text="Decimal serials listed.")
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = "CRL"
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["ca", "number"], name="unique_crl_number")]

    def __str__(self) -> str:
        return f"CRL {self.number} of {self.ca.name}"


class RevocationRequest(models.Model):
    """A Party's request to revoke one of its certificates (SMKI RAPP: revocation requested by an ARO), decided by
    a DCC operator who is not the requester (four eyes). Transitions are compare-and-set on ``status``
    (pki.orders.services), so two operators deciding at once cannot both win."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved (revoked)"
        REJECTED = "rejected", "Rejected"

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="revocation_requests")
    reason = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # At most one open request per certificate: a second one would only race the first.
            models.UniqueConstraint(fields=["certificate"], condition=Q(status="requested"),
                                    name="unique_open_revocation_request"),
        ]

    def __str__(self) -> str:
        return f"revocation of #{self.certificate.serial}: {self.status}"
