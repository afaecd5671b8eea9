"""The tooth chart: a practice procedure catalogue, append-only chart entries (a status change
is a new row naming the one it replaces; a void stamps the row once), and each user's tooth
notation preference (FDI unless they choose Palmer or Universal).

On PostgreSQL a trigger keeps chart entries append-only: no DELETE; an UPDATE may not change
what was recorded (tooth, surfaces, code, status, time, author, replacement) and a void, once
stamped, is final. It may still move an entry to a merged record's survivor, re-encrypt or
erase the free text (key rotation, erasure) and stamp a void. SQLite relies on the services.
"""

from uuid import uuid4

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from db.postgres_only import postgres_only


APPEND_ONLY = [
    """
    CREATE OR REPLACE FUNCTION chart_entry_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'chart_entry is append-only (DELETE refused)'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF (NEW.id, NEW.practice_id, NEW.kind, NEW.code, NEW.procedure_id, NEW.tooth,
            NEW.surfaces, NEW.status, NEW.recorded_at, NEW.recorded_by_user_id,
            NEW.replaces_id, NEW.created_at)
           IS DISTINCT FROM
           (OLD.id, OLD.practice_id, OLD.kind, OLD.code, OLD.procedure_id, OLD.tooth,
            OLD.surfaces, OLD.status, OLD.recorded_at, OLD.recorded_by_user_id,
            OLD.replaces_id, OLD.created_at) THEN
            RAISE EXCEPTION 'chart_entry is append-only (a recorded entry cannot change)'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.voided_at IS NOT NULL
           AND (NEW.voided_at, NEW.voided_by_user_id)
               IS DISTINCT FROM (OLD.voided_at, OLD.voided_by_user_id) THEN
            RAISE EXCEPTION 'chart_entry void is final'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER chart_entry_append_only
        BEFORE UPDATE OR DELETE ON chart_entry
        FOR EACH ROW EXECUTE FUNCTION chart_entry_append_only()
    """,
]
DROP_APPEND_ONLY = [
    "DROP TRIGGER IF EXISTS chart_entry_append_only ON chart_entry",
    "DROP FUNCTION IF EXISTS chart_entry_append_only()",
]

class Migration(migrations.Migration):
    dependencies = [("models", "0008_event_streams")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ProcedureItem",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "practice",
                    fields.ForeignKeyField(
                        "models.Practice",
                        source_field="practice_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("code", fields.CharField(max_length=32)),
                ("name", fields.CharField(max_length=200)),
                ("default_fee_pence", fields.IntField(default=0)),
                ("nhs_band", fields.CharField(null=True, max_length=16)),
                ("tooth_scope", fields.CharField(max_length=16)),
                ("tooth_types", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("min_surfaces", fields.SmallIntField(default=0)),
                ("max_surfaces", fields.SmallIntField(default=0)),
                ("recall_effect", fields.CharField(default="NONE", max_length=16)),
                ("archived", fields.BooleanField(default=False)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "procedure_item",
                "app": "models",
                "unique_together": (("practice", "code"),),
                "pk_attr": "id",
                "table_description": "One procedure a practice offers, with its code, default fee and the teeth it takes.",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="ChartEntry",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "practice",
                    fields.ForeignKeyField(
                        "models.Practice",
                        source_field="practice_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "patient",
                    fields.ForeignKeyField(
                        "models.Patient",
                        source_field="patient_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="chart_entries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("kind", fields.CharField(max_length=16)),
                ("code", fields.CharField(max_length=32)),
                (
                    "procedure",
                    fields.ForeignKeyField(
                        "models.ProcedureItem",
                        source_field="procedure_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("tooth", fields.SmallIntField(null=True)),
                ("surfaces", fields.CharField(default="", max_length=8)),
                ("status", fields.CharField(max_length=16)),
                ("notes", fields.TextField(null=True, unique=False)),
                ("recorded_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("recorded_by_user_id", fields.UUIDField(null=True)),
                ("replaces_id", fields.UUIDField(null=True)),
                ("voided_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("voided_by_user_id", fields.UUIDField(null=True)),
                ("void_reason", fields.TextField(null=True, unique=False)),
            ],
            options={
                "table": "chart_entry",
                "app": "models",
                "indexes": [Index(fields=["patient_id", "recorded_at"])],
                "pk_attr": "id",
                "table_description": "One condition or procedure on one tooth (or the whole mouth), as recorded at one time.",
            },
            bases=["Entity"],
        ),
        ops.AddField(
            model_name="User",
            name="tooth_notation",
            field=fields.CharField(default="FDI", max_length=16),
        ),
        postgres_only(APPEND_ONLY, DROP_APPEND_ONLY),
    ]
