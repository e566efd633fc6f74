"""The audit log's entry hash becomes keyed (HMAC with the audit key) and the chain gets an anchor
outside the database (portal/audit.py, docs/audit.md); the audit context holds the server's request id
and, labelled, the client's claim, so it grows to 200 characters.

Records written before this migration carry an unkeyed SHA-256 entry hash. If the chain they form still
verifies under the old rules, they are re-hashed with the key, re-linked, and the anchor is written: the
chain continues. If it does not verify, nothing is changed: ``audit_verify`` then reports the break
(re-hashing would launder it). Under the old rules someone who could write the database could already
have rewritten history undetectably; this migration cannot tell, and says so in docs/audit.md.
"""

import hashlib
import hmac
import json

from django.db import migrations, models
from django.utils import timezone

GENESIS = "0" * 64


def _legacy_entry_hash(record) -> str:
    content = {
        "created_at": record.created_at.isoformat(), "actor": record.actor, "action": record.action,
        "subject_type": record.subject_type, "subject_id": record.subject_id, "subject_repr": record.subject_repr,
        "before": record.before, "after": record.after, "context": record.context,
    }
    blob = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def _link(key: bytes, previous: str, seq: int, record_id: int, entry_hash: str) -> str:
    return hmac.new(key, f"{previous}|{seq}|{record_id}|{entry_hash}".encode(), hashlib.sha256).hexdigest()


def rehash_with_key(apps, schema_editor):
    AuditRecord = apps.get_model("portal", "AuditRecord")
    AuditChainHead = apps.get_model("portal", "AuditChainHead")
    if not AuditRecord.objects.exists():
        return  # a new database: nothing to carry over
    from portal import audit  # the key and the anchor writer (runtime code, on purpose: same files, same key)

    key = audit._key()
    records = list(AuditRecord.objects.order_by("id"))
    sealed = sorted((r for r in records if r.seq is not None), key=lambda r: r.seq)
    previous = GENESIS
    for expected, record in enumerate(sealed, start=1):
        if (record.seq != expected or _legacy_entry_hash(record) != record.entry_hash
                or _link(key, previous, record.seq, record.pk, record.entry_hash) != record.chain_hash):
            print(f"\n  audit log: the existing chain does not verify at record #{record.pk}; left unchanged "
                  f"(manage.py audit_verify reports it)")
            return
        previous = record.chain_hash
    head = AuditChainHead.objects.filter(id=1).first()
    if sealed and (head is None or head.last_seq != len(sealed) or head.last_hash != previous):
        print("\n  audit log: the chain head does not match the chain; left unchanged (audit_verify reports it)")
        return
    for record in records:
        if record.seq is None and _legacy_entry_hash(record) != record.entry_hash:
            print(f"\n  audit log: unsealed record #{record.pk} does not match its hash; left unchanged")
            return
        record.entry_hash = audit.entry_hash(record, key)
    previous = GENESIS
    for record in sealed:
        record.chain_hash = previous = _link(key, previous, record.seq, record.pk, record.entry_hash)
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        if postgres:  # the append-only trigger (0002) refuses this one-time rewrite
            cursor.execute("ALTER TABLE portal_auditrecord DISABLE TRIGGER portal_audit_append_only")
        AuditRecord.objects.bulk_update(records, ["entry_hash", "chain_hash"], batch_size=2000)
        if postgres:
            cursor.execute("ALTER TABLE portal_auditrecord ENABLE TRIGGER portal_audit_append_only")
    if sealed:
        head.last_hash, head.last_record_id = previous, sealed[-1].pk
        head.save()
        # Not monotonic: the old anchor (if any) held pre-migration hashes.
        anchor = audit.Anchor(head.last_seq, head.last_record_id, head.last_hash, timezone.now().isoformat())
        path = audit.anchor_path()
        with audit._anchor_lock(path):
            audit._write_anchor_file(path, anchor, key)


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0002_audit_append_only_trigger"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditrecord",
            name="context",
            field=models.CharField(blank=True, help_text="HTTP request id (server's, then the client's claim) "
                                   "or the command / task.", max_length=200),
        ),
        migrations.AlterField(
            model_name="auditrecord",
            name="entry_hash",
            field=models.CharField(help_text="HMAC-SHA256 (audit key) of this record's content.", max_length=64),
        ),
        migrations.RunPython(rehash_with_key, migrations.RunPython.noop),
    ]
