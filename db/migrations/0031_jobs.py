from uuid import uuid4

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0030_report_cover_indexes")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Job",
            fields=[
                (
                    "id",
                    fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("kind", fields.CharField(max_length=64)),
                ("key", fields.CharField(null=True, max_length=200)),
                ("payload", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("status", fields.CharField(default="QUEUED", max_length=12)),
                ("attempts", fields.IntField(default=0)),
                ("max_attempts", fields.IntField(default=8)),
                ("run_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("locked_by", fields.CharField(null=True, max_length=100)),
                (
                    "locked_until",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("last_error", fields.CharField(null=True, max_length=500)),
                ("practice_id", fields.UUIDField(null=True, db_index=True)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "job",
                "app": "models",
                "unique_together": (("kind", "key"),),
                "indexes": [Index(fields=["status", "run_at"])],
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
    ]
