"""ADT files and their thresholds (MP134B business requirement 4; docs/adt-format.md).

A Party's SRO or verified ARO uploads a file (state ``submitted``); a different person approves it
(``active``) or rejects it (``rejected``). Approving makes each of the file's rows the active threshold for
its (User ID, SRV, target Supplier), and retires the row that was active for that key before; a file none of
whose rows is active any more is ``superseded``. Nothing is deleted: every version stays in the history.

The DUIS pipeline reads "the active threshold for (User ID, SRV, target Supplier)" on every request
(DESIGN §4 check 11). That read is one lookup in a partial unique index over the active rows only
(``adt_active_key``), which is also the database's guarantee that a key has at most one active row. It
is a read: no request writes to these tables, so they add no hot row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.models import Party, UserID


class AdtFileState(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    ACTIVE = "active", "Active"
    SUPERSEDED = "superseded", "Superseded"
    REJECTED = "rejected", "Rejected"


class AdtFileQuerySet(models.QuerySet):
    def of_party(self, party: Party | int):
        return self.filter(party_id=getattr(party, "pk", party))

    def submitted(self):
        return self.filter(state=AdtFileState.SUBMITTED)

    def active(self):
        return self.filter(state=AdtFileState.ACTIVE)


class AdtFile(models.Model):
    """One uploaded ADT file: who sent it for which Party, its content's hash, and its decision."""

    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="adt_files")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the file as uploaded (hex).")
    size = models.PositiveIntegerField(help_text="Bytes.")
    state = models.CharField(max_length=12, choices=AdtFileState.choices, default=AdtFileState.SUBMITTED)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=500, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = AdtFileQuerySet.as_manager()

    class Meta:
        verbose_name = "ADT file"
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["party", "state"], name="adt_file_party_state")]

    def __str__(self) -> str:
        return f"ADT file #{self.pk} {self.file_name} ({self.state})"


class AdtThresholdQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class AdtThreshold(models.Model):
    """One row of an ADT file. ``target_supplier`` null is the file's ``*`` (any Supplier's devices)."""

    file = models.ForeignKey(AdtFile, on_delete=models.PROTECT, related_name="rows")
    line = models.PositiveIntegerField(help_text="Line in the uploaded file (the header is line 1).")
    user_id = models.ForeignKey(UserID, on_delete=models.PROTECT, related_name="adt_thresholds",
                                verbose_name="User ID")
    srv = models.CharField("SRV", max_length=16)
    target_supplier = models.ForeignKey(UserID, on_delete=models.PROTECT, related_name="adt_targeted_by",
                                        null=True, blank=True, help_text="Empty: '*', any Supplier.")
    warning_level = models.PositiveIntegerField()
    quarantine_level = models.PositiveIntegerField()
    window_minutes = models.PositiveIntegerField()
    # Copied from the file's state at approval / supersession so the pipeline's lookup needs no join.
    active = models.BooleanField(default=False)

    objects = AdtThresholdQuerySet.as_manager()

    class Meta:
        verbose_name = "ADT threshold"
        ordering = ["file_id", "line"]
        constraints = [
            # At most one active threshold per key; the index the pipeline's lookup uses.
            models.UniqueConstraint(fields=["user_id", "srv", "target_supplier"], condition=Q(active=True),
                                    name="adt_active_key"),
            # NULLs are distinct in a unique index, so '*' rows need their own.
            models.UniqueConstraint(fields=["user_id", "srv"], condition=Q(active=True, target_supplier=None),
                                    name="adt_active_key_any_supplier"),
            models.CheckConstraint(condition=Q(warning_level__gt=0, window_minutes__gt=0,
                                               quarantine_level__gte=models.F("warning_level")),
                                   name="adt_levels_valid"),
        ]

    def __str__(self) -> str:
        target = self.target_supplier.eui if self.target_supplier_id else "*"
        return f"{self.user_id.eui} SRV {self.srv} → {target}"


class AdtCount(models.Model):
    """Requests counted for one ADT key in one time bucket, split over shards (DESIGN §4 check 11; docs/adt-format.md
    "Counting").

    ``key`` is the active threshold's key ``<sender pk>:<srv>:<target Supplier User ID pk or *>``. A bucket is
    ``window_minutes`` seconds wide (60 buckets make a window) and starts at ``start`` (Unix seconds). Each
    increment goes to a random one of ``contingency.adt.counting.SHARDS`` rows of its bucket with
    ``INSERT … ON CONFLICT DO UPDATE SET n = n + 1``, so concurrent requests for one key spread over several rows
    instead of queueing on one; the window's count is the sum over its buckets' rows."""

    key = models.CharField(max_length=64)
    start = models.BigIntegerField(help_text="The bucket's start, Unix seconds.")
    shard = models.PositiveSmallIntegerField()
    n = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "ADT count"
        constraints = [models.UniqueConstraint(fields=["key", "start", "shard"], name="adt_count_slot")]

    def __str__(self) -> str:
        return f"{self.key} @{self.start}#{self.shard}: {self.n}"


class AdtVerdictOutcome(models.TextChoices):
    OK = "ok", "Under the warning level"
    WARNING = "warning", "Over the warning level"
    QUARANTINE = "quarantine", "Over the quarantine level"


class AdtCountedRequest(models.Model):
    """One RequestID counted, with the verdict it got: a CV 4 and the CV 5 that completes it count once (issue 10
    point 9), and the second call gets the first call's verdict. Appended, one row per request: not a hot row.
    Its primary key is the QuarantineEventRef of the request's AD1 alert when it was quarantined."""

    request_id = models.CharField(max_length=80, unique=True, help_text="The canonical DUIS RequestID.")
    sender = models.ForeignKey(UserID, on_delete=models.PROTECT, related_name="+")
    srv = models.CharField("SRV", max_length=16)
    threshold = models.ForeignKey(AdtThreshold, on_delete=models.PROTECT, related_name="+")
    counted_at = models.DateTimeField(default=timezone.now)
    count = models.PositiveIntegerField(help_text="The window's count with this request.")
    outcome = models.CharField(max_length=10, choices=AdtVerdictOutcome.choices)

    class Meta:
        verbose_name = "ADT counted request"
        ordering = ["-counted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.outcome} ({self.count})"


class AdtNoticeKind(models.TextChoices):
    WARNING = "warning", "Warning level passed"
    QUARANTINE = "quarantine", "Quarantine level passed"


class AdtNotice(models.Model):
    """A note to the service desk: a key passed its warning (or quarantine) level. One per key, kind and window
    period (``period`` = the window's number since the epoch, a unique constraint), so a busy sender gets one
    warning alert per window, not one per request. The quarantine console lists them."""

    key = models.CharField(max_length=64)
    kind = models.CharField(max_length=10, choices=AdtNoticeKind.choices)
    period = models.BigIntegerField(help_text="Unix seconds // the window's seconds.")
    threshold = models.ForeignKey(AdtThreshold, on_delete=models.PROTECT, related_name="notices")
    sender = models.ForeignKey(UserID, on_delete=models.PROTECT, related_name="+")
    srv = models.CharField("SRV", max_length=16)
    target_supplier = models.ForeignKey(UserID, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    count = models.PositiveIntegerField(help_text="The window's count when the level was passed.")
    request_id = models.CharField(max_length=80, blank=True, help_text="The request that passed it.")
    raised_at = models.DateTimeField(default=timezone.now, db_index=True)
    alert = models.ForeignKey("contingency.Alert", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              help_text="The DCC alert sent to the sender (empty if it could not be raised).")

    class Meta:
        verbose_name = "ADT notice"
        ordering = ["-raised_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["key", "kind", "period"], name="adt_notice_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.key} ({self.count})"
