"""A patient's call request on the appointment: ``appointment.call_requested_at`` (when an SMS
reply asked for a call, null when none is waiting) and ``call_reason`` (a code). Columns on the
row, so the board still reads every appointment in one statement. Existing rows: none waiting."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0035_report_probe_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Appointment',
            name='call_reason',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='Appointment',
            name='call_requested_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
