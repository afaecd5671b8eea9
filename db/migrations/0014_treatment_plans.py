"""Treatment plans: one row per plan version (status, acceptance, encrypted snapshot) and its
items (catalogue procedure, tooth, surfaces, fee in pence, completion, invoicing)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0013_perio')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TreatmentPlan',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('plan_id', fields.UUIDField()),
                ('version', fields.IntField(default=1)),
                ('status', fields.CharField(max_length=16)),
                ('created_by_user_id', fields.UUIDField(null=True)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('signed_name', fields.TextField(null=True, unique=False)),
                ('signature_document_id', fields.UUIDField(null=True)),
                ('witness_user_id', fields.UUIDField(null=True)),
                ('consent_record_id', fields.UUIDField(null=True)),
                ('snapshot', fields.TextField(null=True, unique=False)),
                ('snapshot_sha256', fields.CharField(null=True, max_length=64)),
                ('declined_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('superseded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'treatment_plan', 'app': 'models', 'unique_together': (('plan_id', 'version'),), 'indexes': [Index(fields=['patient_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "One version of a patient's treatment plan."},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='TreatmentPlanItem',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('plan_version', fields.ForeignKeyField('models.TreatmentPlan', source_field='plan_version_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.RESTRICT)),
                ('phase', fields.SmallIntField(default=1)),
                ('position', fields.IntField(default=0)),
                ('procedure', fields.ForeignKeyField('models.ProcedureItem', source_field='procedure_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('code', fields.CharField(max_length=32)),
                ('tooth', fields.SmallIntField(null=True)),
                ('surfaces', fields.CharField(default='', max_length=8)),
                ('fee_pence', fields.IntField()),
                ('nhs_band', fields.CharField(null=True, max_length=16)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('completed_by_user_id', fields.UUIDField(null=True)),
                ('chart_entry_id', fields.UUIDField(null=True)),
                ('invoiced_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'treatment_plan_item', 'app': 'models', 'indexes': [Index(fields=['plan_version_id', 'phase', 'position']), Index(fields=['practice_id', 'completed_at'])], 'pk_attr': 'id', 'table_description': 'One planned procedure of one plan version, in a phase.'},
            bases=['Entity'],
        ),
    ]
