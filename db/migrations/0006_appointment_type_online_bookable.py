"""Appointment types patients may book themselves in the portal (off unless offered)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("models", "0005_patient_name_trigram")]

    initial = False

    operations = [
        ops.AddField(
            model_name="AppointmentType",
            name="online_bookable",
            field=fields.BooleanField(default=False),
        ),
    ]
