"""Batch recall: injection points indexed by batch with every column the recall reads, so a
lot recall across an organisation is an index-only scan (replaces the (batch_id, treated_at)
index)."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0018_billing')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='InjectionPoint',
            name=None,
            fields=['batch_id', 'treated_at'],
        ),
        ops.AddIndex(
            model_name='InjectionPoint',
            index=Index(fields=['batch_id', 'practice_id', 'patient_id', 'treatment_id', 'treated_at', 'amount_milli']),
        ),
    ]
