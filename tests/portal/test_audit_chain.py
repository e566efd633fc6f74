"""The audit log is append-only and tamper-evident: edits, insertions and deletions are detected."""

import hashlib
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from portal import audit
from portal.models import AuditRecord, Party, PartyKind, UserRole

from .factories import PartyFactory, UserIDFactory

pytestmark = pytest.mark.django_db


def make_chain(n=6):
    for i in range(n):
        audit.write("test.event", subject_type="test", subject_id=str(i), before={"i": i}, after={"i": i + 1})
    assert audit.seal() >= n
    result = audit.verify()
    assert result.ok, str(result)
    return list(AuditRecord.objects.order_by("seq"))


def raw(sql, params=()):
    """A tamperer with full database rights: bypasses the model and, on PostgreSQL, disables the
    append-only trigger first (the chain must still catch what they do)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE portal_auditrecord DISABLE TRIGGER portal_audit_append_only")
        cursor.execute(sql, params)


def unkeyed_entry_hash(record) -> str:
    """What a tamperer without the key can compute: the SHA-256 of a record's content (the old entry hash)."""
    content = {
        "created_at": record.created_at.isoformat(), "actor": record.actor, "action": record.action,
        "subject_type": record.subject_type, "subject_id": record.subject_id, "subject_repr": record.subject_repr,
        "before": record.before, "after": record.after, "context": record.context,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode()).hexdigest()


def test_records_are_append_only_through_the_orm():
    record = make_chain(1)[0]
    record.action = "changed"
    with pytest.raises(PermissionError):
        record.save()
    with pytest.raises(PermissionError):
        record.delete()


def test_an_edited_record_is_detected_and_named():
    records = make_chain()
    victim = records[2]
    raw("UPDATE portal_auditrecord SET actor = %s WHERE id = %s", ["mallory", victim.pk])
    result = audit.verify()
    assert not result.ok
    assert result.code == "edited"
    assert result.bad_record_id == victim.pk


def test_an_edit_with_a_recomputed_entry_hash_is_still_detected():
    records = make_chain()
    victim = records[3]
    raw("UPDATE portal_auditrecord SET actor = %s WHERE id = %s", ["mallory", victim.pk])
    victim.refresh_from_db()
    raw("UPDATE portal_auditrecord SET entry_hash = %s WHERE id = %s", [unkeyed_entry_hash(victim), victim.pk])
    result = audit.verify()
    assert not result.ok and result.bad_record_id == victim.pk
    assert result.code == "edited"


def make_room_at_seq_3():
    raw("UPDATE portal_auditrecord SET seq = seq + 1000 WHERE seq > 2")
    raw("UPDATE portal_auditrecord SET seq = seq - 999 WHERE seq > 1000")


def test_an_inserted_record_is_detected():
    records = make_chain()
    # Make room after seq 2 and insert a forged record there, with the best entry hash a tamperer can make.
    make_room_at_seq_3()
    forged = AuditRecord(actor="mallory", action="test.event", subject_type="test", subject_id="x",
                         before=None, after={"forged": True}, context="")
    forged.entry_hash = unkeyed_entry_hash(forged)
    forged.seq, forged.chain_hash = 3, hashlib.sha256(b"guess").hexdigest()
    forged.save()
    result = audit.verify()
    assert not result.ok
    assert result.bad_record_id == forged.pk
    assert result.code == "edited"
    assert len(records) + 1 == AuditRecord.objects.count()


def test_a_copy_of_an_authentic_record_inserted_into_the_chain_is_detected():
    records = make_chain()
    make_room_at_seq_3()
    original = records[0]
    raw("INSERT INTO portal_auditrecord (created_at, actor, action, subject_type, subject_id, subject_repr, "
        "before, after, context, entry_hash, seq, chain_hash) SELECT created_at, actor, action, subject_type, "
        "subject_id, subject_repr, before, after, context, entry_hash, 3, chain_hash FROM portal_auditrecord "
        "WHERE id = %s", [original.pk])
    result = audit.verify()
    assert not result.ok
    assert result.code == "relinked"
    assert "duplicate" in result.codes


def test_a_deleted_record_is_detected():
    records = make_chain()
    raw("DELETE FROM portal_auditrecord WHERE id = %s", [records[1].pk])
    result = audit.verify()
    assert not result.ok
    assert result.code == "deleted"
    assert result.bad_record_id == records[2].pk


def test_deleting_the_newest_records_is_detected():
    records = make_chain()
    raw("DELETE FROM portal_auditrecord WHERE id >= %s", [records[-2].pk])
    result = audit.verify()
    assert not result.ok
    assert result.codes == ["truncated"]


def test_audit_verify_command_exit_status_and_first_bad_record(capsys):
    records = make_chain()
    call_command("audit_verify")
    assert "audit chain OK" in capsys.readouterr().out
    raw("UPDATE portal_auditrecord SET after = %s WHERE id = %s", [json.dumps({"i": 999}), records[4].pk])
    with pytest.raises(CommandError) as excinfo:
        call_command("audit_verify")
    assert excinfo.value.returncode == 1
    assert "edited" in str(excinfo.value)
    assert f"[edited] at record #{records[4].pk}" in capsys.readouterr().err


def test_audit_verify_seals_pending_records_first():
    make_chain(2)
    audit.write("late.event", subject_type="test", subject_id="late")
    assert AuditRecord.objects.filter(seq__isnull=True).count() == 1
    call_command("audit_verify")
    assert not AuditRecord.objects.filter(seq__isnull=True).exists()


def test_registry_changes_write_before_and_after():
    with audit.acting_as("alice"):
        party = PartyFactory(kind=PartyKind.SRP, name="Shared Services Ltd")
        party.name = "Shared Services plc"
        party.save()
        uid = UserIDFactory(party=party)
        UserRole.objects.create(holder=uid, role="SC")
    created = AuditRecord.objects.get(action="party.create", subject_id=str(party.pk))
    updated = AuditRecord.objects.get(action="party.update", subject_id=str(party.pk))
    assert created.actor == updated.actor == "alice"
    assert created.before is None and created.after["name"] == "Shared Services Ltd"
    assert updated.before["name"] == "Shared Services Ltd" and updated.after["name"] == "Shared Services plc"
    assert AuditRecord.objects.filter(action="userrole.create", after__role="SC").exists()
    # Saving without a change writes nothing.
    before = AuditRecord.objects.count()
    Party.objects.get(pk=party.pk).save()
    assert AuditRecord.objects.count() == before


def test_admin_changes_are_audited_with_the_admin_user(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root-admin", "a@example.org", "pw-admin-123!")
    client.force_login(admin)
    response = client.post("/admin/portal/party/add/", {
        "name": "Failed Energy Ltd", "short_name": "failed-energy", "kind": "supplier",
        "licence_status": "active", "licence_revoked_at_0": "", "licence_revoked_at_1": "",
        "user_ids-TOTAL_FORMS": "0", "user_ids-INITIAL_FORMS": "0",
        "user_ids-MIN_NUM_FORMS": "0", "user_ids-MAX_NUM_FORMS": "1000",
    })
    assert response.status_code == 302, response.content[:2000]
    record = AuditRecord.objects.get(action="party.create", after__name="Failed Energy Ltd")
    assert record.actor == "root-admin"
    assert record.context.startswith("req:")


def test_the_admin_shows_the_audit_log_read_only(client, django_user_model):
    make_chain(1)
    admin = django_user_model.objects.create_superuser("root-admin", "a@example.org", "pw-admin-123!")
    client.force_login(admin)
    assert client.get("/admin/portal/auditrecord/").status_code == 200
    record = AuditRecord.objects.first()
    assert client.get("/admin/portal/auditrecord/add/").status_code == 403
    assert client.post(f"/admin/portal/auditrecord/{record.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditRecord.objects.filter(pk=record.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's")
def test_postgresql_itself_refuses_updates_and_deletes():
    from django.db import DatabaseError, transaction

    record = make_chain(2)[0]
    for sql in ("UPDATE portal_auditrecord SET actor = 'mallory' WHERE id = %s",
                "UPDATE portal_auditrecord SET seq = NULL WHERE id = %s",
                "DELETE FROM portal_auditrecord WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
            c.execute(sql, [record.pk])
    record.refresh_from_db()
    assert record.actor != "mallory" and record.seq is not None
    assert audit.verify().ok


def test_anonymous_public_responses_do_not_vary_on_cookie(client):
    # The audit middleware must not touch the session for clients without one (caches of public pages).
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "Cookie" not in response.get("Vary", "")
    assert response["X-Request-ID"]
