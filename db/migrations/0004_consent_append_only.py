"""The consent ledger is append-only: on PostgreSQL a trigger refuses UPDATE and DELETE on it.

History is evidence (UK GDPR Art. 7(1): the practice must be able to show consent was given),
so a withdrawal is a new row, never an edit. SQLite relies on the service layer only.
"""

from tortoise import migrations

from db.postgres_only import postgres_only

CREATE = [
    """
    CREATE OR REPLACE FUNCTION consent_record_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'consent_record is append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER consent_record_no_update_or_delete
        BEFORE UPDATE OR DELETE ON consent_record
        FOR EACH ROW EXECUTE FUNCTION consent_record_append_only()
    """,
]
DROP = [
    "DROP TRIGGER IF EXISTS consent_record_no_update_or_delete ON consent_record",
    "DROP FUNCTION IF EXISTS consent_record_append_only()",
]


class Migration(migrations.Migration):
    dependencies = [("models", "0003_schedule_no_overlap")]

    operations = [postgres_only(CREATE, DROP)]
