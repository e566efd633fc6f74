"""The append-only, tamper-evident audit log (DESIGN §6).

Writing: ``audit.write(action, subject, before=..., after=...)`` inserts one AuditRecord with the
SHA-256 of its content. Writers never touch a shared row, so auditing adds no hot row to the
request path (DESIGN §4, "Scale").

Sealing: ``audit.seal()`` (a Celery beat task every few seconds, and before every verification)
takes the unsealed records in id order, numbers them (``seq``) and links each to the one before
with an HMAC-SHA256 keyed by a secret that is *not* in the database:

    chain_hash[n] = HMAC(key, chain_hash[n-1] | seq | id | entry_hash)

so someone who can write to the database but does not hold the key cannot edit, insert or delete
a sealed record and repair the chain. ``AuditChainHead`` remembers the last sealed position,
so deleting the newest records is detected too.

Verifying: ``audit.verify()`` walks the chain and reports the first bad record.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from .models import AuditChainHead, AuditRecord
from .secret_files import read_secret

GENESIS = "0" * 64

_actor: contextvars.ContextVar[str] = contextvars.ContextVar("audit_actor", default="system")
_context: contextvars.ContextVar[str] = contextvars.ContextVar("audit_context", default="")


@contextlib.contextmanager
def acting_as(actor: str, context: str = "") -> Iterator[None]:
    """Attribute audit records written inside the block to ``actor`` (a username or 'system:…')."""
    token_a = _actor.set(actor)
    token_c = _context.set(context or _context.get())
    try:
        yield
    finally:
        _actor.reset(token_a)
        _context.reset(token_c)


def current_actor() -> str:
    return _actor.get()


class AuditActorMiddleware:
    """Attributes audit records written while handling a request to the signed-in user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Touch request.user (and so the session) only when the client sent a session cookie: otherwise
        # every response, public repository ones included, would get "Vary: Cookie" and defeat caches.
        user = getattr(request, "user", None) if settings.SESSION_COOKIE_NAME in request.COOKIES else None
        actor = user.get_username() if user is not None and user.is_authenticated else "anonymous"
        request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        with acting_as(actor, f"http:{request_id}"):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def to_json(value) -> object:
    """The JSON form of a value, exactly as it will be stored and hashed."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True))


def snapshot(instance: models.Model, exclude: tuple[str, ...] = ()) -> dict:
    """A model instance's concrete field values, JSON-ready (for before/after)."""
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude:
            continue
        data[field.attname] = field.value_from_object(instance)
    return to_json(data)  # type: ignore[return-value]


def _entry_hash(record: AuditRecord) -> str:
    content = {
        "created_at": record.created_at.isoformat(),
        "actor": record.actor,
        "action": record.action,
        "subject_type": record.subject_type,
        "subject_id": record.subject_id,
        "subject_repr": record.subject_repr,
        "before": record.before,
        "after": record.after,
        "context": record.context,
    }
    blob = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def write(
    action: str,
    subject: models.Model | None = None,
    *,
    subject_type: str = "",
    subject_id: str = "",
    subject_repr: str = "",
    before: object = None,
    after: object = None,
    actor: str | None = None,
) -> AuditRecord:
    """Append one audit record. Call it inside the transaction that makes the change."""
    if subject is not None:
        subject_type = subject_type or subject._meta.label
        subject_id = subject_id or str(subject.pk)
        subject_repr = subject_repr or str(subject)[:255]
    record = AuditRecord(
        actor=(actor or current_actor())[:150],
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        subject_repr=subject_repr[:255],
        before=to_json(before),
        after=to_json(after),
        context=_context.get()[:100],
    )
    record.entry_hash = _entry_hash(record)
    record.save()
    return record


# --- the key ---------------------------------------------------------------------------------

def _key() -> bytes:
    """The chain key: SOLR_AUDIT_KEY, or the file SOLR_AUDIT_KEY_FILE, or DATA_DIR/audit_key made once."""
    return read_secret("SOLR_AUDIT_KEY", "SOLR_AUDIT_KEY_FILE", Path(settings.DATA_DIR) / "audit_key").encode()


def _link(key: bytes, previous: str, seq: int, record_id: int, entry_hash: str) -> str:
    message = f"{previous}|{seq}|{record_id}|{entry_hash}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# --- sealing ---------------------------------------------------------------------------------

def seal(batch: int = 2000) -> int:
    """Link every unsealed record into the chain. Returns how many were sealed.

    One sealer at a time: the head row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's
    IMMEDIATE transactions serialise writers anyway).
    """
    key = _key()
    sealed = 0
    while True:
        with transaction.atomic():
            head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
            pending = list(
                AuditRecord.objects.filter(seq__isnull=True).order_by("id").only("id", "entry_hash")[:batch]
            )
            if not pending:
                return sealed
            previous, seq = head.last_hash, head.last_seq
            for record in pending:
                seq += 1
                previous = _link(key, previous, seq, record.pk, record.entry_hash)
                record.seq, record.chain_hash = seq, previous
            AuditRecord.objects.bulk_update(pending, ["seq", "chain_hash"])
            head.last_seq, head.last_hash, head.last_record_id = seq, previous, pending[-1].pk
            head.save()
            sealed += len(pending)


# --- verification ----------------------------------------------------------------------------

@dataclass
class VerifyResult:
    ok: bool
    checked: int
    unsealed: int
    bad_record_id: int | None = None
    bad_seq: int | None = None
    reason: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain OK: {self.checked} sealed records verified, {self.unsealed} not yet sealed"
        where = f"record #{self.bad_record_id}" if self.bad_record_id is not None else "end of chain"
        return f"audit chain BROKEN at {where} (seq {self.bad_seq}): {self.reason}"


def verify() -> VerifyResult:
    key = _key()
    head = AuditChainHead.objects.filter(id=1).first()
    unsealed = AuditRecord.objects.filter(seq__isnull=True).count()
    previous, expected_seq, checked = GENESIS, 1, 0
    for record in AuditRecord.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=2000):
        problem = None
        if record.seq != expected_seq:
            problem = f"expected seq {expected_seq} here: record(s) before it were deleted or it was moved"
        elif _entry_hash(record) != record.entry_hash:
            problem = "its content does not match its hash: the record was edited"
        elif not hmac.compare_digest(_link(key, previous, record.seq, record.pk, record.entry_hash),
                                     record.chain_hash):
            problem = "its chain link does not verify: the record was inserted, moved or re-hashed"
        if problem:
            return VerifyResult(False, checked, unsealed, record.pk, record.seq, problem)
        previous, expected_seq, checked = record.chain_hash, expected_seq + 1, checked + 1
    last_seq = head.last_seq if head else 0
    if checked != last_seq or (head and not hmac.compare_digest(previous, head.last_hash)):
        return VerifyResult(
            False, checked, unsealed, None, checked + 1,
            f"the chain head says {last_seq} records were sealed but {checked} remain: the newest were deleted",
        )
    return VerifyResult(True, checked, unsealed)
