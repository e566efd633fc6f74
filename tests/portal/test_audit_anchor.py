"""The audit anchor: the keyed checkpoint of the chain head that lives outside the database."""

import importlib
import json
import os
import stat
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from portal import audit
from portal.models import AuditChainHead, AuditRecord
from tests.helpers.processes import PROJECT_DIR, database_url_for_subprocess

from .test_audit_chain import make_chain, raw, unkeyed_entry_hash

pytestmark = pytest.mark.django_db


def anchor_on_disk() -> dict:
    return json.loads(audit.anchor_path().read_text())


def test_a_fresh_database_gets_its_anchor_with_the_first_seal_in_the_data_dir_0600(settings, tmp_path,
                                                                                   monkeypatch):
    settings.DATA_DIR = tmp_path  # default location: the data directory
    settings.SOLR_AUDIT_ANCHOR_FILE = ""
    path = tmp_path / "audit_anchor.json"
    assert audit.anchor_path() == path and not path.exists()
    assert audit.seal() == 0 and not path.exists()  # nothing sealed yet, nothing to anchor
    audit.write("test.first", subject_type="test", subject_id="first")
    store_links, seen = audit._store_links, []

    def look_then_store(records):  # the empty chain is anchored before its first record is sealed
        seen.append(json.loads(path.read_text())["seq"])
        store_links(records)

    monkeypatch.setattr(audit, "_store_links", look_then_store)
    assert audit.seal() == 1
    assert seen == [0]
    make_chain(2)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = anchor_on_disk()
    head = AuditChainHead.objects.get(id=1)
    assert (data["seq"], data["record_id"], data["chain_hash"]) == (3, head.last_record_id, head.last_hash)
    assert audit.verify().anchor.seq == 3
    # No temporary files are left beside it.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".audit_anchor")) == []


def test_the_anchor_follows_every_seal():
    make_chain(2)
    assert anchor_on_disk()["seq"] == 2
    audit.write("test.more", subject_type="test", subject_id="more")
    assert audit.seal() == 1
    assert anchor_on_disk()["seq"] == 3


def test_the_anchor_never_moves_back():
    make_chain(4)
    key = audit._key()
    newest = audit.read_anchor(key)
    older = AuditRecord.objects.get(seq=2)
    stale = audit.Anchor(2, older.pk, older.chain_hash, "2026-01-01T00:00:00+00:00")
    assert audit.advance_anchor(key, stale) is False  # e.g. a slower sealer writing after a faster one
    assert audit.read_anchor(key) == newest


def test_an_anchor_edited_without_the_key_is_refused():
    make_chain(3)
    data = anchor_on_disk()
    data["seq"] = 1  # roll the anchor back by hand
    audit.anchor_path().write_text(json.dumps(data))
    result = audit.verify()
    assert result.code == "anchor-invalid"
    with pytest.raises(audit.AuditRefused) as excinfo:
        audit.seal()
    assert excinfo.value.code == "anchor-invalid"


def test_a_lost_anchor_stops_sealing_until_an_audited_reanchor(capsys):
    make_chain(3)
    audit.anchor_path().unlink()
    audit.write("test.pending", subject_type="test", subject_id="pending")
    assert audit.verify().codes == ["anchor-missing"]
    with pytest.raises(audit.AuditRefused) as excinfo:
        audit.seal()
    assert excinfo.value.code == "anchor-missing"
    with pytest.raises(CommandError) as excinfo:
        call_command("audit_verify")
    assert excinfo.value.returncode == 1

    with pytest.raises(CommandError):  # a reason is required
        call_command("audit_verify", "--reanchor")
    call_command("audit_verify", "--reanchor", "--reason", "anchor volume restored empty, ticket 42")
    out = capsys.readouterr().out
    assert "accepted by re-anchoring: [anchor-missing]" in out and "audit chain OK" in out
    record = AuditRecord.objects.get(action="audit.reanchor")
    assert record.seq is not None  # sealed into the chain it re-anchored
    assert record.actor.startswith("system:audit_verify")
    assert record.before["anchor"] is None and record.after["anchor"]["seq"] == 3
    assert record.after["reason"] == "anchor volume restored empty, ticket 42"
    assert AuditRecord.objects.get(action="test.pending").seq is not None
    result = audit.verify()
    assert result.ok, str(result)
    assert anchor_on_disk()["seq"] == AuditRecord.objects.filter(seq__isnull=False).count() == 5


def test_reanchor_refuses_a_chain_that_is_itself_broken():
    records = make_chain(4)
    raw("UPDATE portal_auditrecord SET actor = 'mallory' WHERE id = %s", [records[1].pk])
    with pytest.raises(CommandError) as excinfo:
        call_command("audit_verify", "--reanchor", "--reason", "try")
    assert excinfo.value.returncode == 1
    assert not AuditRecord.objects.filter(action="audit.reanchor").exists()


def test_a_record_committed_late_is_sealed_after_newer_ones():
    """PostgreSQL hands out ids before commit: a record may commit after a newer one was sealed. That is no
    re-sealing (every sealed record is still sealed), so it is sealed, at the end of the chain."""
    make_chain(2)
    late = audit.write("test.late", subject_type="test", subject_id="late")
    audit.write("test.newer", subject_type="test", subject_id="newer")
    fields = {f.attname: getattr(late, f.attname) for f in AuditRecord._meta.concrete_fields}
    raw("DELETE FROM portal_auditrecord WHERE id = %s", [late.pk])  # not committed yet, as far as the sealer sees
    assert audit.seal() == 1
    AuditRecord.objects.bulk_create([AuditRecord(**fields)])  # ... and now it commits
    assert AuditChainHead.objects.get(id=1).last_record_id > late.pk
    assert audit.seal() == 1
    assert AuditRecord.objects.get(pk=late.pk).seq == 4
    assert audit.verify().ok


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_sealers_in_several_processes_keep_chain_and_anchor_consistent():
    """Beat and audit_verify seal (and verify) at the same time in different processes, from a fresh chain:
    no refusal, no false alarm, and chain, head and anchor agree at the end."""
    env = dict(os.environ, DATABASE_URL=database_url_for_subprocess())
    script = ("import django, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'portal.settings')\n"
              "django.setup()\n"
              "from portal import audit\n"
              "for i in range(15):\n"
              "    audit.write('test.concurrent', subject_type='test', subject_id=f'{os.getpid()}-{i}')\n"
              "    audit.seal()\n"
              "    result = audit.verify()\n"
              "    if not result.ok:\n"
              "        sys.exit(f'verify while others seal: {result}')\n")
    procs = [subprocess.Popen([sys.executable, "-c", script], cwd=PROJECT_DIR, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(3)]
    for i in range(15):
        audit.write("test.concurrent", subject_type="test", subject_id=f"main-{i}")
        audit.seal()
    deadline = time.monotonic() + 120
    for proc in procs:
        output = proc.communicate(timeout=max(1, deadline - time.monotonic()))[0].decode(errors="replace")
        assert proc.returncode == 0, output
    audit.seal()
    result = audit.verify()
    assert result.ok, str(result)
    total = AuditRecord.objects.filter(action="test.concurrent").count()
    assert total == 60
    head = AuditChainHead.objects.get(id=1)
    assert head.last_seq == AuditRecord.objects.filter(seq__isnull=False).count() >= total
    assert anchor_on_disk()["seq"] == head.last_seq


def run_migration_step():
    from django.apps import apps

    migration = importlib.import_module("portal.migrations.0003_audit_anchor")
    migration.rehash_with_key(apps, SimpleNamespace(connection=connection))


def test_migration_0003_rehashes_and_anchors_an_intact_pre_migration_chain():
    """A chain written under the old rules (unkeyed entry hashes) that still verifies is carried over."""
    key = audit._key()
    previous = audit.GENESIS
    for seq in range(1, 4):
        record = AuditRecord(actor="alice", action="old.event", subject_type="test", subject_id=str(seq))
        record.entry_hash = unkeyed_entry_hash(record)
        record.save()
        previous = audit._link(key, previous, seq, record.pk, record.entry_hash)
        raw("UPDATE portal_auditrecord SET seq = %s, chain_hash = %s WHERE id = %s", [seq, previous, record.pk])
    AuditChainHead.objects.create(id=1, last_seq=3, last_hash=previous, last_record_id=record.pk)
    assert audit.verify().code == "edited"  # under the new rules, before the migration step

    run_migration_step()
    result = audit.verify()
    assert result.ok, str(result)
    assert result.checked == 3 and result.anchor.seq == 3


def test_migration_0003_leaves_a_broken_pre_migration_chain_alone():
    record = AuditRecord(actor="alice", action="old.event", subject_type="test", subject_id="1")
    record.entry_hash = unkeyed_entry_hash(record)
    record.save()
    raw("UPDATE portal_auditrecord SET seq = 1, chain_hash = %s, actor = 'mallory' WHERE id = %s",
        ["0" * 64, record.pk])
    AuditChainHead.objects.create(id=1, last_seq=1, last_hash="0" * 64, last_record_id=record.pk)
    old_hash = record.entry_hash
    run_migration_step()
    record.refresh_from_db()
    assert record.entry_hash == old_hash  # not laundered into a valid keyed hash
    assert not audit.anchor_path().exists()
    assert audit.verify().code == "edited"


def test_reanchoring_after_a_restore_keeps_the_old_anchor_as_evidence():
    records = make_chain(6)
    # A database restored from a backup taken after record 3: the newest records are gone.
    raw("DELETE FROM portal_auditrecord WHERE id > %s", [records[2].pk])
    raw("UPDATE portal_auditchainhead SET last_seq = 3, last_hash = %s, last_record_id = %s WHERE id = 1",
        [records[2].chain_hash, records[2].pk])
    assert audit.verify().codes == ["truncated"]
    call_command("audit_verify", "--reanchor", "--reason", "restored the 02:00 backup")
    record = AuditRecord.objects.get(action="audit.reanchor")
    assert record.before["anchor"]["seq"] == 6 and record.after["anchor"]["seq"] == 3
    assert any("[truncated]" in problem for problem in record.before["problems"])
    assert record.seq == 4
    assert audit.verify().ok
