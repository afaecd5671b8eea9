"""The audit log is append-only: on PostgreSQL a trigger refuses UPDATE and DELETE on it.

SQLite has no equivalent guarantee for a file its owner can edit; there the hash chain and
signed checkpoints catch tampering instead.
"""

from tortoise import migrations

from db.postgres_only import postgres_only

CREATE = [
    """
    CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit_event is append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_event_no_update_or_delete
        BEFORE UPDATE OR DELETE ON audit_event
        FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()
    """,
]
DROP = [
    "DROP TRIGGER IF EXISTS audit_event_no_update_or_delete ON audit_event",
    "DROP FUNCTION IF EXISTS audit_event_append_only()",
]


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [postgres_only(CREATE, DROP)]
