"""Event streams: each domain event names the previous event of its stream.

``previous_sequence`` (null for events recorded before this migration), the per-topic stream
heads on the row the sequence allocation already locks, and an index that finds a patient's
latest event (the head of a per-patient stream such as consent). Heads missing after the
upgrade are read from the table once, on first use (``db.outbox``).
"""

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0006_appointment_type_online_bookable")]

    initial = False

    operations = [
        ops.AddField(
            model_name="DomainEvent",
            name="previous_sequence",
            field=fields.BigIntField(null=True),
        ),
        ops.AddIndex(
            model_name="DomainEvent",
            index=Index(fields=["practice_id", "patient_id", "sequence"]),
        ),
        ops.AddField(
            model_name="PracticeSequence",
            name="stream_heads",
            field=fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads),
        ),
    ]
