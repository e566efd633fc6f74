"""The append-only, tamper-evident audit log (DESIGN §6; threat model in docs/audit.md).

Writing: ``audit.write(action, subject, before=..., after=...)`` inserts one AuditRecord whose
``entry_hash`` is an HMAC of its content keyed by the audit key. Writers never touch a shared row, so
auditing adds no hot row to the request path (DESIGN §4, "Scale").

Sealing: ``audit.seal()`` (a Celery beat task every few seconds, and ``audit_verify``) takes the unsealed
records in id order, numbers them (``seq``) and links each to the one before:

    chain_hash[n] = HMAC(key, chain_hash[n-1] | seq | id | entry_hash)

then writes the new head to the **anchor**, a small keyed file outside the database (by default
``DATA_DIR/audit_anchor.json``; ``SOLR_AUDIT_ANCHOR_FILE`` moves it to separate storage). The anchor only
ever moves forward. The attacker this defends against can write every table (and drop the PostgreSQL
trigger) but holds neither the key nor the anchor file:

- the keyed entry hash: an edited record, or one they insert, does not verify and is never sealed;
- the keyed links: a sealed record cannot be edited, inserted, moved or deleted without a broken link
  or a gap in ``seq``;
- the anchor: deleting the newest records, rolling ``AuditChainHead`` back or emptying the table leaves
  a chain shorter than the anchor (``truncated``); records marked unsealed again are refused by the
  sealer and reported (``resealed``).

Verifying: ``audit.verify()`` walks the chain, compares it with the head and the anchor, and names every
problem with a stable code (the ``PROBLEMS`` table).
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import functools
import hashlib
import hmac
import json
import logging
import os
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.models import Count, Max
from django.utils import timezone

from .errors import Refusal
from .files import write_atomically
from .models import AuditChainHead, AuditRecord
from .secret_files import read_secret

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
ANCHOR_FORMAT = "solr-audit-anchor/1"

# Stable codes of what verify() and seal() find (docs/audit.md lists them with what they mean).
PROBLEMS = {
    "edited": "a record's content does not match its keyed hash (edited, or made without the key)",
    "deleted": "a gap in the sealed sequence: sealed records were deleted",
    "relinked": "a chain link does not verify: a record was inserted, moved or re-hashed",
    "truncated": "the chain is shorter than the anchor: the newest sealed records were deleted",
    "resealed": "records sealed before the anchored head were marked unsealed, or the chain was re-sealed",
    "duplicate": "a copy of an existing record",
    "head-mismatch": "the database's chain head does not match the chain",
    "anchor-missing": "sealed records exist but there is no anchor",
    "anchor-invalid": "the anchor file is unreadable or its MAC does not verify",
}

_actor: contextvars.ContextVar[str] = contextvars.ContextVar("audit_actor", default="system")
_context: contextvars.ContextVar[str] = contextvars.ContextVar("audit_context", default="")


class AuditRefused(Refusal):
    """The sealer refuses to extend a chain that disagrees with its anchor; ``code`` is one of PROBLEMS."""

    code = "audit-refused"


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


# --- HTTP requests ---------------------------------------------------------------------------

CLIENT_REQUEST_ID_MAX = 64
_NOT_IN_CLIENT_ID = re.compile(r"[^A-Za-z0-9._:-]")


def client_request_id(raw: str) -> str:
    """The client's X-Request-ID as it may appear in a record: capped, then every character outside
    ``A-Z a-z 0-9 . _ : -`` replaced by ``_`` — no spaces, controls or newlines, so it can neither look
    like the server's id nor break a record or a log line."""
    return _NOT_IN_CLIENT_ID.sub("_", raw[:CLIENT_REQUEST_ID_MAX])


def request_context(server_id: str, client_id: str = "") -> str:
    """``req:<server id>``, then the client's claim, clearly labelled, when it sent one."""
    return f"req:{server_id}" + (f" client-request-id={client_id}" if client_id else "")


class AuditActorMiddleware:
    """Attributes audit records written while handling a request to the signed-in user.

    Each request gets an id the server makes (``req:<uuid>`` in the audit context and the response's
    X-Request-ID). A client's X-Request-ID is kept only as its claim, after the server's id.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Touch request.user (and so the session) only when the client sent a session cookie: otherwise
        # every response, public repository ones included, would get "Vary: Cookie" and defeat caches.
        user = getattr(request, "user", None) if settings.SESSION_COOKIE_NAME in request.COOKIES else None
        actor = user.get_username() if user is not None and user.is_authenticated else "anonymous"
        server_id = uuid.uuid4().hex
        context = request_context(server_id, client_request_id(request.headers.get("X-Request-ID", "")))
        with acting_as(actor, context):
            response = self.get_response(request)
        response["X-Request-ID"] = server_id
        return response


# --- records ---------------------------------------------------------------------------------

def to_json(value) -> object:
    """The JSON form of a value, exactly as it will be stored and hashed."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True))


def snapshot(instance: models.Model, exclude: tuple[str, ...] = ()) -> dict:
    """A model instance's concrete field values, JSON-ready (for before/after)."""
    data = {}
    for field_ in instance._meta.concrete_fields:
        if field_.name in exclude:
            continue
        data[field_.attname] = field_.value_from_object(instance)
    return to_json(data)  # type: ignore[return-value]


def _key() -> bytes:
    """The chain key: SOLR_AUDIT_KEY, or the file SOLR_AUDIT_KEY_FILE, or DATA_DIR/audit_key made once."""
    return _read_key(os.environ.get("SOLR_AUDIT_KEY", ""), os.environ.get("SOLR_AUDIT_KEY_FILE", ""),
                     str(settings.DATA_DIR))


@functools.lru_cache(maxsize=8)
def _read_key(env_value: str, file_name: str, data_dir: str) -> bytes:
    # Read once per process and source (every audit.write needs it): changing the key of a running
    # chain is not an operation this log supports — old records would no longer verify.
    return read_secret("SOLR_AUDIT_KEY", "SOLR_AUDIT_KEY_FILE", Path(data_dir) / "audit_key").encode()


@functools.lru_cache(maxsize=16)
def _subkey(key: bytes, purpose: str) -> bytes:
    # One secret, separate keys per use, so that an entry hash can never pass for an anchor MAC or a link.
    return hmac.new(key, f"solr-audit/{purpose}/v1".encode(), hashlib.sha256).digest()


def entry_hash(record, key: bytes) -> str:
    """HMAC-SHA256 of a record's content under the audit key (``key`` is the chain key)."""
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
    return hmac.new(_subkey(key, "entry"), blob.encode(), hashlib.sha256).hexdigest()


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
        context=_context.get()[:AuditRecord._meta.get_field("context").max_length],
    )
    record.entry_hash = entry_hash(record, _key())
    record.save()
    return record


def _link(key: bytes, previous: str, seq: int, record_id: int, entry_hash_: str) -> str:
    message = f"{previous}|{seq}|{record_id}|{entry_hash_}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# --- the anchor ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Anchor:
    """A keyed checkpoint of the chain head, kept outside the database: "at least ``seq`` records were
    sealed, the one at ``seq`` is record ``record_id`` with ``chain_hash``"."""

    seq: int
    record_id: int
    chain_hash: str
    sealed_at: str

    def mac(self, key: bytes) -> str:
        message = f"{ANCHOR_FORMAT}|{self.seq}|{self.record_id}|{self.chain_hash}|{self.sealed_at}".encode()
        return hmac.new(_subkey(key, "anchor"), message, hashlib.sha256).hexdigest()

    @classmethod
    def of_head(cls, head: AuditChainHead) -> Anchor:
        return cls(head.last_seq, head.last_record_id, head.last_hash, timezone.now().isoformat())


def anchor_path() -> Path:
    configured = getattr(settings, "SOLR_AUDIT_ANCHOR_FILE", "")
    return Path(configured) if configured else Path(settings.DATA_DIR) / "audit_anchor.json"


def read_anchor(key: bytes, path: Path | None = None) -> Anchor | None:
    """The anchor, or None when there is none yet. A file that does not verify raises (anchor-invalid)."""
    path = path or anchor_path()
    try:
        data = json.loads(path.read_bytes())
        anchor = Anchor(int(data["seq"]), int(data["record_id"]), str(data["chain_hash"]), str(data["sealed_at"]))
        valid = data.get("format") == ANCHOR_FORMAT and hmac.compare_digest(anchor.mac(key), str(data["mac"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AuditRefused(f"the audit anchor {path} cannot be read: {exc}", code="anchor-invalid") from None
    if not valid:
        raise AuditRefused(f"the audit anchor {path} does not verify with the audit key (forged, or another key)",
                           code="anchor-invalid")
    return anchor


@contextlib.contextmanager
def _anchor_lock(path: Path) -> Iterator[None]:
    """One anchor writer at a time across processes (beat, workers, audit_verify) on this host.

    A separate lock file, because the anchor itself is replaced by rename.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _write_anchor_file(path: Path, anchor: Anchor, key: bytes) -> None:
    """Atomically and 0600 (portal.files: temporary file, fsync, rename), then fsync the folder so that the
    rename itself survives a crash. A reader sees the old anchor or the new one, never half of one."""
    data = json.dumps({"format": ANCHOR_FORMAT, **asdict(anchor), "mac": anchor.mac(key)}, sort_keys=True)
    write_atomically(path, data + "\n", mode=0o600)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def advance_anchor(key: bytes, anchor: Anchor) -> bool:
    """Move the anchor forward to ``anchor``; never back. Returns whether it moved.

    Sealers write the anchor after their transaction committed (an anchor ahead of the database would
    look like truncation after a rollback), so two sealers may write in the other order: the lock and
    the comparison keep the newest.
    """
    if anchor.seq <= 0:
        return False
    path = anchor_path()
    with _anchor_lock(path):
        current = read_anchor(key, path)
        if current is not None and current.seq >= anchor.seq:
            return False
        _write_anchor_file(path, anchor, key)
        return True


def _anchor_genesis(key: bytes) -> Anchor:
    """The anchor of an empty chain (seq 0), written unless an anchor already exists."""
    path = anchor_path()
    with _anchor_lock(path):
        current = read_anchor(key, path)
        if current is not None:
            return current
        genesis = Anchor(0, 0, GENESIS, timezone.now().isoformat())
        _write_anchor_file(path, genesis, key)
        return genesis


# --- sealing ---------------------------------------------------------------------------------

def _check_head(key: bytes, head: AuditChainHead, anchor: Anchor | None) -> None:
    """Refuse to extend a chain whose head is not the anchored one (or a keyed extension of it).

    Cheap: in steady state the anchor equals the head and one row is read. After a crash between commit
    and anchor write, the links from the anchor to the head (at most a batch) are checked.
    """
    if anchor is None:
        if head.last_seq > 0 or AuditRecord.objects.filter(seq__isnull=False).exists():
            raise AuditRefused(
                f"there is no audit anchor at {anchor_path()} but {head.last_seq} records are sealed: the anchor "
                f"was lost or moved (docs/audit.md: audit_verify --reanchor)", code="anchor-missing")
        return  # a fresh database: the first seal creates the anchor
    def vanished(what: str) -> AuditRefused:
        # Sealed records are missing: unsealed again (to be re-sealed after an edit), or deleted.
        reopened = AuditRecord.objects.filter(seq__isnull=True, id__lte=anchor.record_id).count()
        if reopened:
            return AuditRefused(f"{what}, and {reopened} record(s) up to the anchored record #{anchor.record_id} "
                                f"are marked unsealed: refusing to re-seal them", code="resealed")
        return AuditRefused(f"{what}: the newest sealed records were deleted", code="truncated")

    if head.last_seq < anchor.seq:
        raise vanished(f"the chain head is at seq {head.last_seq} but the anchor says {anchor.seq} records were "
                       f"sealed")
    previous, expected = anchor.chain_hash, anchor.seq + 1
    if anchor.seq > 0:
        at_anchor = AuditRecord.objects.filter(seq=anchor.seq).only("id", "chain_hash").first()
        if at_anchor is None:
            raise vanished(f"the anchored record (seq {anchor.seq}) is no longer sealed")
        if at_anchor.pk != anchor.record_id or not hmac.compare_digest(at_anchor.chain_hash, anchor.chain_hash):
            raise AuditRefused(f"the record at the anchored seq {anchor.seq} is not the anchored one: the chain "
                               f"was re-sealed", code="resealed")
    extension = AuditRecord.objects.filter(seq__gt=anchor.seq, seq__lte=head.last_seq).order_by("seq")
    last_id = anchor.record_id
    for record in extension.only("id", "seq", "entry_hash", "chain_hash").iterator(chunk_size=2000):
        if record.seq != expected:
            raise AuditRefused(f"seq {expected} is missing after the anchor", code="deleted")
        if not hmac.compare_digest(_link(key, previous, record.seq, record.pk, record.entry_hash),
                                   record.chain_hash):
            raise AuditRefused(f"record #{record.pk} (seq {record.seq}) does not link to the anchored chain",
                               code="relinked")
        previous, expected, last_id = record.chain_hash, expected + 1, record.pk
    if expected - 1 != head.last_seq or last_id != head.last_record_id or previous != head.last_hash:
        raise AuditRefused(f"the chain head (seq {head.last_seq}) is not the end of the anchored chain",
                           code="head-mismatch")


def _store_links(records: list[AuditRecord]) -> None:
    # One prepared UPDATE per row: bulk_update()'s CASE expression spent 90 % of a seal building SQL.
    table = connection.ops.quote_name(AuditRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET seq = %s, chain_hash = %s WHERE id = %s",  # noqa: S608
                           [(r.seq, r.chain_hash, r.pk) for r in records])


def seal(batch: int = 2000) -> int:
    """Link every unsealed record into the chain and move the anchor forward. Returns how many were sealed.

    One sealer at a time: the head row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
    transactions serialise writers anyway). Raises AuditRefused, sealing nothing, when the chain head
    disagrees with the anchor or when records older than the sealed head are unsealed while sealed ones
    are missing (a re-sealing attempt). Records whose keyed hash does not verify, and copies of existing
    records, are left unsealed (audit_verify names them).
    """
    key = _key()
    sealed, cursor = 0, 0
    while True:
        with transaction.atomic():
            head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
            anchor = read_anchor(key)
            _check_head(key, head, anchor)
            pending = list(AuditRecord.objects.filter(seq__isnull=True, id__gt=cursor).order_by("id")[:batch])
            if not pending:
                break
            if anchor is None:
                # A fresh chain: anchor its genesis before the first record is sealed, so that a sealer in
                # another process never sees sealed records without an anchor (it would refuse them).
                anchor = _anchor_genesis(key)
            boundary = max(head.last_record_id, anchor.record_id)
            if pending[0].pk <= boundary:
                # An unsealed record older than the sealed head: legitimate only as a transaction that
                # committed late (PostgreSQL hands out ids before commit). Then every record ever sealed is
                # still sealed; if some are not, someone marked them unsealed to have them re-sealed.
                still_sealed = AuditRecord.objects.filter(seq__isnull=False).count()
                if still_sealed != head.last_seq:
                    raise AuditRefused(
                        f"record #{pending[0].pk} is older than the sealed head (record #{boundary}) and "
                        f"{head.last_seq - still_sealed} sealed record(s) are no longer sealed: refusing to "
                        f"re-seal", code="resealed")
            entry_key_ok = [r for r in pending if hmac.compare_digest(entry_hash(r, key), r.entry_hash)]
            # A copy of a record has its creation time too: look among the records of the same instants
            # (created_at is indexed; an index on entry_hash would cost every write).
            same_instants = Counter(AuditRecord.objects.filter(
                created_at__in={r.created_at for r in entry_key_ok}).values_list("entry_hash", flat=True))
            copies = {h for h, n in same_instants.items() if n > 1}
            good = [r for r in entry_key_ok if r.entry_hash not in copies]
            verified_ids, good_ids = {r.pk for r in entry_key_ok}, {r.pk for r in good}
            for record in pending:
                if record.pk not in good_ids:
                    logger.error("audit record #%s not sealed: %s", record.pk,
                                 "a copy of another record" if record.pk in verified_ids else
                                 "its content does not match its keyed hash")
            cursor = pending[-1].pk
            if not good:
                continue
            previous, seq = head.last_hash, head.last_seq
            for record in good:
                seq += 1
                previous = _link(key, previous, seq, record.pk, record.entry_hash)
                record.seq, record.chain_hash = seq, previous
            _store_links(good)
            head.last_seq, head.last_hash, head.last_record_id = seq, previous, good[-1].pk
            head.save()
            sealed += len(good)
        advance_anchor(key, Anchor.of_head(head))
    # Nothing (more) to seal; still catch the anchor up if a crash left it behind the checked head.
    advance_anchor(key, Anchor.of_head(head))
    return sealed


# --- verification ----------------------------------------------------------------------------

@dataclass
class Problem:
    code: str
    message: str
    record_id: int | None = None
    seq: int | None = None

    def __post_init__(self) -> None:
        # The codes are a published interface (docs/audit.md): a problem with an unlisted code is a bug here.
        if self.code not in PROBLEMS:
            raise ValueError(f"unknown audit problem code {self.code!r}")

    def __str__(self) -> str:
        if self.record_id is None:
            return f"[{self.code}] {self.message}"
        where = f"seq {self.seq}" if self.seq is not None else "unsealed"
        return f"[{self.code}] at record #{self.record_id} ({where}): {self.message}"


@dataclass
class VerifyResult:
    checked: int
    unsealed: int
    problems: list[Problem] = field(default_factory=list)
    anchor: Anchor | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    @property
    def code(self) -> str | None:
        return self.problems[0].code if self.problems else None

    @property
    def bad_record_id(self) -> int | None:
        return self.problems[0].record_id if self.problems else None

    def __str__(self) -> str:
        if self.ok:
            anchored = f", anchored at seq {self.anchor.seq}" if self.anchor else ""
            return (f"audit chain OK: {self.checked} sealed records verified{anchored}, "
                    f"{self.unsealed} not yet sealed")
        return "audit chain BROKEN " + "; ".join(str(p) for p in self.problems)


def _walk(key: bytes, anchor: Anchor | None, upto: int | None = None
          ) -> tuple[int, AuditRecord | None, Problem | None]:
    """Check the sealed records (up to seq ``upto``) in seq order; stop at the first bad one (everything after
    it is suspect). Returns how many verified, the last verified record, and the problem."""
    sealed = AuditRecord.objects.filter(seq__isnull=False)
    if upto is not None:
        sealed = sealed.filter(seq__lte=upto)
    previous, expected, last = GENESIS, 1, None
    for record in sealed.order_by("seq").iterator(chunk_size=2000):
        problem = None
        if record.seq != expected:
            problem = Problem("deleted", f"expected seq {expected} here: {record.seq - expected} sealed record(s) "
                                         f"before it were deleted", record.pk, record.seq)
        elif not hmac.compare_digest(entry_hash(record, key), record.entry_hash):
            problem = Problem("edited", "its content does not match its keyed hash: the record was edited",
                              record.pk, record.seq)
        elif not hmac.compare_digest(_link(key, previous, record.seq, record.pk, record.entry_hash),
                                     record.chain_hash):
            problem = Problem("relinked", "its chain link does not verify: the record was inserted, moved or "
                                          "re-hashed", record.pk, record.seq)
        elif anchor and record.seq == anchor.seq and (
                record.pk != anchor.record_id or not hmac.compare_digest(record.chain_hash, anchor.chain_hash)):
            problem = Problem("resealed", f"the anchor holds record #{anchor.record_id} here: the chain up to this "
                                          f"point was re-sealed", record.pk, record.seq)
        if problem:
            return expected - 1, last, problem
        previous, expected, last = record.chain_hash, expected + 1, record
    return expected - 1, last, None


def verify() -> VerifyResult:
    """Check the whole log against the key and the anchor; every problem found is named by its code.

    Safe while sealers run: the anchor is read first and then the head (the anchor is written only after the
    head committed, so it is never ahead of the head read after it), and the walk stops at that head.
    """
    key = _key()
    problems: list[Problem] = []
    anchor_invalid = False
    try:
        anchor = read_anchor(key)
    except AuditRefused as exc:
        anchor, anchor_invalid = None, True
        problems.append(Problem(exc.code, exc.message))
    head = AuditChainHead.objects.filter(id=1).first()
    checked, last, broken = _walk(key, anchor, upto=head.last_seq if head else None)
    if broken:
        problems.append(broken)
    else:
        if head is None and checked:
            problems.append(Problem("head-mismatch", f"{checked} records are sealed but the chain head row is gone"))
        elif head is not None and checked == head.last_seq and last is not None and not (
                head.last_record_id == last.pk and hmac.compare_digest(head.last_hash, last.chain_hash)):
            problems.append(Problem("head-mismatch", f"the chain head is not the last sealed record "
                                                     f"#{last.pk} (seq {checked}): it was altered"))
        # Where the chain must reach: the anchor (kept outside the database) or the head, whichever is further.
        claims = [(anchor.seq, anchor.record_id, "the anchor")] if anchor else []
        if head is not None:
            claims.append((head.last_seq, head.last_record_id, "the chain head"))
        claimed_seq, claimed_id, claimant = max(claims, key=lambda claim: claim[0], default=(0, 0, ""))
        if checked < claimed_seq:
            top = AuditRecord.objects.aggregate(top=Max("seq"))["top"] or 0
            if top > checked:
                problems.append(Problem(
                    "head-mismatch", f"the chain head was rolled back to seq {checked} below {claimant} (seq "
                                     f"{claimed_seq}) while sealed records up to seq {top} remain"))
            # Records sealed once that are unsealed again: someone wants them re-sealed (after editing them).
            reopened = AuditRecord.objects.filter(seq__isnull=True, id__lte=claimed_id).count()
            if reopened:
                problems.append(Problem(
                    "resealed", f"{reopened} record(s) up to record #{claimed_id}, sealed up to seq {claimed_seq} "
                                f"according to {claimant}, are marked unsealed again: a re-sealing attempt"))
            missing = claimed_seq - max(top, checked) - reopened
            if missing > 0:
                gone = ("every sealed record is gone" if max(top, checked) == 0
                        else f"the chain ends at seq {max(top, checked)}: the newest {missing} were deleted")
                problems.append(Problem("truncated", f"{claimant} says {claimed_seq} records were sealed but {gone}"))
    if (anchor is None and not anchor_invalid and AuditRecord.objects.filter(seq__isnull=False).exists()
            and read_anchor(key) is None):  # read again: a first seal may have made it since
        problems.append(Problem("anchor-missing", f"records are sealed but there is no anchor at {anchor_path()} "
                                                  f"(docs/audit.md: audit_verify --reanchor)"))
    unsealed = 0
    for record in AuditRecord.objects.filter(seq__isnull=True).order_by("id").iterator(chunk_size=2000):
        unsealed += 1
        if not hmac.compare_digest(entry_hash(record, key), record.entry_hash):
            problems.append(Problem("edited", "unsealed, and its content does not match its keyed hash: edited, "
                                              "or written without the key", record.pk))
    copies = (AuditRecord.objects.values("entry_hash").annotate(n=Count("id")).filter(n__gt=1)
              .values_list("entry_hash", flat=True)[:20])
    for copied in copies:
        ids = list(AuditRecord.objects.filter(entry_hash=copied).order_by("id").values_list("id", flat=True))
        problems.append(Problem("duplicate", f"records {', '.join(f'#{i}' for i in ids)} have the same content "
                                             f"and hash: all but one are copies", ids[-1]))
    return VerifyResult(checked, unsealed, problems, anchor)


# --- re-anchoring (an operator's decision, audited) -----------------------------------------

def reanchor(reason: str) -> tuple[Anchor | None, Anchor, VerifyResult]:
    """Anchor the chain as it stands now, after the anchor was lost (or after a tampering an operator has
    investigated and accepts). The sealed chain itself must verify from the first record; the database head
    is set to its end. Writes an ``audit.reanchor`` record (old anchor, new anchor, reason, what verify found
    before), then seals. Returns (old anchor or None, new anchor, the verification before)."""
    if not reason.strip():
        raise AuditRefused("a reason is required to re-anchor the audit chain", code="reason-required")
    key = _key()
    before = verify()
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        checked, last, broken = _walk(key, None)
        if broken:
            raise AuditRefused(f"the sealed chain itself is broken, re-anchoring would not mend it: {broken}",
                               code=broken.code)
        try:
            old = read_anchor(key)
        except AuditRefused:
            old = None
        head.last_seq = checked
        head.last_record_id = last.pk if last else 0
        head.last_hash = last.chain_hash if last else GENESIS
        head.save()
        new = Anchor.of_head(head)
        path = anchor_path()
        with _anchor_lock(path):
            _write_anchor_file(path, new, key)  # deliberately not monotonic: this is the reset
        write("audit.reanchor", subject_type="audit.anchor", subject_id=str(path)[:100],
              subject_repr=f"audit anchor {path}"[:255],
              before={"anchor": asdict(old) if old else None, "problems": [str(p) for p in before.problems]},
              after={"anchor": asdict(new), "reason": reason})
    seal()
    return old, new, before
