"""Recalls report: the due dates recalls had when a visit or treatment met them (the recall
row itself keeps only the next one)."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0027_nhs_contract')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RecallMet',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('due_on', fields.DateField()),
                ('met_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('appointment_id', fields.UUIDField(null=True)),
            ],
            options={'table': 'recall_met', 'app': 'models', 'indexes': [Index(fields=['practice_id', 'due_on'])], 'pk_attr': 'id', 'table_description': 'A due date a recall had when a visit (or a treatment with that recall effect) met it.'},
            bases=['Entity'],
        ),
    ]
