"""Issue 7 point 2: the three tamperings that made ``audit_verify`` exit 0 on the old code, done exactly as the
attacker did them: raw SQL on the database (the PostgreSQL append-only trigger disabled first, as someone who
can write the database can do), without the audit key and without touching the anchor file. Each must now
make ``audit_verify`` exit 1 and name what happened, and the sealer must refuse to extend the chain."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from portal import audit
from portal.models import AuditChainHead, AuditRecord

from .test_audit_chain import make_chain, raw, unkeyed_entry_hash

pytestmark = pytest.mark.django_db


def run_audit_verify(capsys, *args) -> tuple[int, str]:
    """(exit status, everything the command printed)."""
    try:
        call_command("audit_verify", *args)
    except CommandError as exc:
        captured = capsys.readouterr()
        return exc.returncode, captured.out + captured.err + str(exc)
    captured = capsys.readouterr()
    return 0, captured.out + captured.err


def roll_head_back_to(record: AuditRecord | None) -> None:
    seq, chain_hash, record_id = (record.seq, record.chain_hash, record.pk) if record else (0, audit.GENESIS, 0)
    raw("UPDATE portal_auditchainhead SET last_seq = %s, last_hash = %s, last_record_id = %s WHERE id = 1",
        [seq, chain_hash, record_id])


def seal_refusal_code() -> str:
    with pytest.raises(audit.AuditRefused) as excinfo:
        audit.seal()
    return excinfo.value.code


def test_a_deleting_the_newest_rows_and_rolling_the_head_back_is_reported_as_truncation(capsys):
    records = make_chain(8)
    keep = records[4]
    raw("DELETE FROM portal_auditrecord WHERE id > %s", [keep.pk])
    roll_head_back_to(keep)
    assert AuditChainHead.objects.get(id=1).last_seq == keep.seq  # the database alone looks consistent

    status, output = run_audit_verify(capsys)
    assert status == 1
    assert "[truncated]" in output
    assert audit.verify().codes == ["truncated"]
    # Life goes on (a new record), but the sealer does not extend the truncated chain.
    audit.write("test.after", subject_type="test", subject_id="after")
    assert seal_refusal_code() == "truncated"
    assert not AuditRecord.objects.filter(action="test.after", seq__isnull=False).exists()


def test_b_deleting_every_record_and_the_head_is_reported_as_truncation(capsys):
    make_chain(5)
    raw("DELETE FROM portal_auditrecord")
    raw("DELETE FROM portal_auditchainhead")

    status, output = run_audit_verify(capsys)
    assert status == 1
    assert "[truncated]" in output
    result = audit.verify()
    assert result.codes == ["truncated"]
    audit.write("test.after", subject_type="test", subject_id="after")
    assert seal_refusal_code() == "truncated"  # a fresh-looking database is not a fresh chain
    assert not AuditRecord.objects.filter(seq__isnull=False).exists()


def test_c_editing_a_record_and_having_it_re_sealed_is_refused_and_reported(capsys):
    records = make_chain(8)
    victim, before_victim = records[3], records[2]
    # Edit the actor and recompute the (old, unkeyed) entry hash ...
    raw("UPDATE portal_auditrecord SET actor = %s WHERE id = %s", ["mallory", victim.pk])
    victim.refresh_from_db()
    raw("UPDATE portal_auditrecord SET entry_hash = %s WHERE id = %s", [unkeyed_entry_hash(victim), victim.pk])
    # ... mark it and every row after it unsealed, roll the head back, and let audit_verify re-seal.
    raw("UPDATE portal_auditrecord SET seq = NULL, chain_hash = '' WHERE id >= %s", [victim.pk])
    roll_head_back_to(before_victim)

    status, output = run_audit_verify(capsys)
    assert status == 1
    assert "[resealed]" in output
    assert f"[edited] at record #{victim.pk}" in output
    # Nothing was re-sealed, by the command or by the sealer itself.
    assert not AuditRecord.objects.filter(id__gte=victim.pk, seq__isnull=False).exists()
    assert seal_refusal_code() == "resealed"
    assert not AuditRecord.objects.filter(id__gte=victim.pk, seq__isnull=False).exists()
    assert audit.verify().codes == ["resealed", "edited"]


def test_records_marked_unsealed_without_rolling_the_head_back_are_not_re_sealed():
    records = make_chain(6)
    raw("UPDATE portal_auditrecord SET seq = NULL, chain_hash = '' WHERE id >= %s", [records[2].pk])
    assert seal_refusal_code() == "resealed"
    assert AuditRecord.objects.filter(seq__isnull=False).count() == 2
    assert audit.verify().codes == ["resealed"]


def test_a_record_written_without_the_key_is_never_sealed():
    make_chain(2)
    forged = AuditRecord(actor="dcc.operator1", action="activation.approve", subject_type="test", subject_id="x")
    forged.entry_hash = unkeyed_entry_hash(forged)
    forged.save()
    genuine = audit.write("test.later", subject_type="test", subject_id="later")
    assert audit.seal() == 1  # the genuine one only
    forged.refresh_from_db()
    genuine.refresh_from_db()
    assert forged.seq is None and genuine.seq == 3
    result = audit.verify()
    assert result.codes == ["edited"] and result.bad_record_id == forged.pk


def test_a_copy_of_an_authentic_record_is_never_sealed():
    original = make_chain(3)[1]
    raw("INSERT INTO portal_auditrecord (created_at, actor, action, subject_type, subject_id, subject_repr, "
        "before, after, context, entry_hash, chain_hash) SELECT created_at, actor, action, subject_type, "
        "subject_id, subject_repr, before, after, context, entry_hash, '' FROM portal_auditrecord WHERE id = %s",
        [original.pk])
    copy = AuditRecord.objects.latest("id")
    assert copy.pk != original.pk and copy.entry_hash == original.entry_hash
    assert audit.seal() == 0
    copy.refresh_from_db()
    assert copy.seq is None
    assert audit.verify().codes == ["duplicate"]


def test_the_head_rolled_back_over_remaining_records_is_reported():
    records = make_chain(6)
    roll_head_back_to(records[2])
    assert audit.verify().codes == ["head-mismatch"]
    assert seal_refusal_code() == "truncated"  # the head is behind the anchor


def test_the_beat_task_seals_nothing_on_a_truncated_chain_and_logs_the_code(caplog):
    from portal.tasks import seal_audit_log

    records = make_chain(4)
    raw("DELETE FROM portal_auditrecord WHERE id > %s", [records[1].pk])
    roll_head_back_to(records[1])
    audit.write("test.after", subject_type="test", subject_id="after")
    with caplog.at_level("ERROR", logger="portal.tasks"):
        assert seal_audit_log() == 0
    assert any("[truncated]" in r.getMessage() for r in caplog.records if r.name == "portal.tasks")
    assert AuditRecord.objects.filter(seq__isnull=True).count() == 1
