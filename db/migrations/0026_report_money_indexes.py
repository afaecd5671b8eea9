"""Money reports: the ranges they scan, each an index range per practice — invoices and credit
notes by issue time, deposits by receipt and by leaving the hold, treatment-plan versions by
creation, memberships by first and last day."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0025_cancel_codes')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Invoice',
            index=Index(fields=['practice_id', 'issued_at']),
        ),
        ops.AddIndex(
            model_name='PatientMembership',
            index=Index(fields=['practice_id', 'started_on']),
        ),
        ops.AddIndex(
            model_name='PatientMembership',
            index=Index(fields=['practice_id', 'ended_on']),
        ),
        ops.AddIndex(
            model_name='Payment',
            index=Index(fields=['practice_id', 'kind', 'received_at']),
        ),
        ops.AddIndex(
            model_name='Payment',
            index=Index(fields=['practice_id', 'deposit_settled_at']),
        ),
        ops.AddIndex(
            model_name='TreatmentPlan',
            index=Index(fields=['practice_id', 'created_at']),
        ),
    ]
