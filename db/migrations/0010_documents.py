"""Patient documents and images: one row per file; the sealed bytes live in a document store."""

from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0009_clinical_chart")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Document",
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
                        related_name="documents",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("appointment_id", fields.UUIDField(null=True)),
                ("kind", fields.CharField(max_length=24)),
                ("title", fields.TextField(unique=False)),
                ("filename", fields.TextField(null=True, unique=False)),
                ("content_type", fields.CharField(max_length=64)),
                ("size_bytes", fields.BigIntField()),
                ("width", fields.IntField(null=True)),
                ("height", fields.IntField(null=True)),
                ("sha256", fields.CharField(max_length=64)),
                ("blob_key", fields.CharField(max_length=80)),
                ("thumbnail_key", fields.CharField(null=True, max_length=80)),
                ("wrapped_key", fields.TextField(unique=False)),
                ("uploaded_by_user_id", fields.UUIDField(null=True)),
                ("uploaded_by_client_id", fields.CharField(null=True, max_length=64)),
                ("erased_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "document",
                "app": "models",
                "indexes": [Index(fields=["patient_id", "created_at"])],
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
    ]
