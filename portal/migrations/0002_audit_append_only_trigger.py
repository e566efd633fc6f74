"""On PostgreSQL the database itself refuses to change or delete an audit record (defence in depth:
the hash chain still detects tampering by someone who can drop this trigger). Sealing — setting
seq and chain_hash once on a new record — is the only update allowed.

TRUNCATE is left alone so that test databases can be flushed; it needs table-owner rights anyway.
SQLite has no equivalent that would let Django's test flush run, so there the model refuses instead.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION portal_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit records are append-only (delete of record %%)', OLD.id;
    END IF;
    IF OLD.seq IS NOT NULL
       OR (NEW.id, NEW.created_at, NEW.actor, NEW.action, NEW.subject_type, NEW.subject_id, NEW.subject_repr,
           NEW.before, NEW.after, NEW.context, NEW.entry_hash)
          IS DISTINCT FROM
          (OLD.id, OLD.created_at, OLD.actor, OLD.action, OLD.subject_type, OLD.subject_id, OLD.subject_repr,
           OLD.before, OLD.after, OLD.context, OLD.entry_hash) THEN
        RAISE EXCEPTION 'audit records are append-only (update of record %%)', OLD.id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_audit_append_only BEFORE UPDATE OR DELETE ON portal_auditrecord
    FOR EACH ROW EXECUTE FUNCTION portal_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS portal_audit_append_only ON portal_auditrecord;
DROP FUNCTION IF EXISTS portal_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
