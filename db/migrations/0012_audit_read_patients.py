"""One audit row per read, however many patients it showed: the patients a read showed.

``audit_read_patient`` links an audit row to each patient it names (board reads: a row per
read instead of a row per patient shown). Indexed by audit row (chain verification, breach
reports) and by patient (access log, export). On PostgreSQL a trigger refuses UPDATE and
DELETE, as on ``audit_event``; the audit row's hash covers its patients everywhere.
Rows written before this migration (one audit row per patient) stay as they are and are read
alongside.
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from db.postgres_only import postgres_only

CREATE = [
    """
    CREATE OR REPLACE FUNCTION audit_read_patient_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit_read_patient is append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_read_patient_no_update_or_delete
        BEFORE UPDATE OR DELETE ON audit_read_patient
        FOR EACH ROW EXECUTE FUNCTION audit_read_patient_append_only()
    """,
]
DROP = [
    "DROP TRIGGER IF EXISTS audit_read_patient_no_update_or_delete ON audit_read_patient",
    "DROP FUNCTION IF EXISTS audit_read_patient_append_only()",
]


class Migration(migrations.Migration):
    dependencies = [("models", "0011_clinical_notes")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AuditReadPatient",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "audit",
                    fields.ForeignKeyField(
                        "models.AuditEvent",
                        source_field="audit_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="read_patients",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("patient_id", fields.UUIDField()),
            ],
            options={
                "table": "audit_read_patient",
                "app": "models",
                "unique_together": (("audit_id", "patient_id"),),
                "indexes": [Index(fields=["patient_id", "audit_id"])],
                "pk_attr": "id",
                "table_description": "A patient a read showed, linked to that read's one audit row.",
            },
            bases=["Model"],
        ),
        postgres_only(CREATE, DROP),
    ]
