"""The tooth chart: a practice procedure catalogue, append-only chart entries (a status change
is a new row naming the one it replaces; a void stamps the row once), and each user's tooth
notation preference (FDI unless they choose Palmer or Universal)."""

from uuid import uuid4

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


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
    ]
