"""Coded cancellation reasons: ``appointment.cancel_code`` (services.scheduling.kinds.CancelCode)
beside the free-text reason, so reports count cancellations by reason. Existing cancellations
stay uncoded (null). No index: the report reads cancellations through (practice_id, starts_at)."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0024_product_sales')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Appointment',
            name='cancel_code',
            field=fields.CharField(null=True, max_length=32),
        ),
    ]
