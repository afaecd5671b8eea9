from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0022_payments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FeeSchedule',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=120)),
                ('currency', fields.CharField(default='GBP', max_length=3)),
                ('valid_from', fields.DateField()),
                ('valid_to', fields.DateField(null=True)),
                ('created_by_user_id', fields.UUIDField(null=True)),
                ('closed_by_user_id', fields.UUIDField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'fee_schedule', 'app': 'models', 'indexes': [Index(fields=['practice_id', 'valid_from'])], 'pk_attr': 'id', 'table_description': "A practice's private price list for a range of days (``valid_to`` inclusive, open-ended"},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='MembershipPlan',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=120)),
                ('currency', fields.CharField(default='GBP', max_length=3)),
                ('monthly_fee_minor', fields.BigIntField()),
                ('covers', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('discount_basis_points', fields.IntField(default=0)),
                ('active', fields.BooleanField(default=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'membership_plan', 'app': 'models', 'unique_together': (('practice_id', 'name'),), 'pk_attr': 'id', 'table_description': "A practice's monthly plan: what it covers (catalogue codes, so many a year) and the"},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='NhsCourse',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharField(default='OPEN', max_length=16)),
                ('opened_on', fields.DateField()),
                ('completed_on', fields.DateField(null=True)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('band', fields.CharField(null=True, max_length=16)),
                ('currency', fields.CharField(default='GBP', max_length=3)),
                ('charge_minor', fields.BigIntField(null=True)),
                ('band_charge_minor', fields.BigIntField(null=True)),
                ('udas_hundredths', fields.IntField(null=True)),
                ('exemption', fields.CharField(null=True, max_length=40)),
                ('exemption_max_minor', fields.BigIntField(null=True)),
                ('evidence_seen', fields.BooleanField(default=False)),
                ('evidence_seen_by_user_id', fields.UUIDField(null=True)),
                ('evidence_seen_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('opened_by_user_id', fields.UUIDField(null=True)),
                ('completed_by_user_id', fields.UUIDField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'nhs_course', 'app': 'models', 'indexes': [Index(fields=['patient_id', 'opened_on']), Index(fields=['practice_id', 'status'])], 'pk_attr': 'id', 'table_description': 'One NHS England course of treatment: one patient charge, decided by its most complex'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='NhsCourseItem',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('course', fields.ForeignKeyField('models.NhsCourse', source_field='course_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.RESTRICT)),
                ('code', fields.CharField(max_length=32)),
                ('tooth', fields.SmallIntField(null=True)),
                ('nhs_band', fields.CharField(null=True, max_length=16)),
                ('plan_item_id', fields.UUIDField(null=True)),
                ('chart_entry_id', fields.UUIDField(null=True)),
                ('added_by_user_id', fields.UUIDField(null=True)),
            ],
            options={'table': 'nhs_course_item', 'app': 'models', 'indexes': [Index(fields=['course_id']), Index(fields=['plan_item_id'])], 'pk_attr': 'id', 'table_description': 'One procedure counted in a course (a plan item or chart entry it came from, when any).'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='PatientMembership',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('plan', fields.ForeignKeyField('models.MembershipPlan', source_field='plan_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharField(default='ACTIVE', max_length=16)),
                ('started_on', fields.DateField()),
                ('ended_on', fields.DateField(null=True)),
                ('enrolled_by_user_id', fields.UUIDField(null=True)),
                ('ended_by_user_id', fields.UUIDField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'patient_membership', 'app': 'models', 'indexes': [Index(fields=['patient_id', 'started_on']), Index(fields=['plan_id'])], 'pk_attr': 'id', 'table_description': "A patient's enrolment in a membership plan."},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='ScheduleFee',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('schedule', fields.ForeignKeyField('models.FeeSchedule', source_field='schedule_id', db_constraint=True, to_field='id', related_name='fees', on_delete=OnDelete.RESTRICT)),
                ('procedure_code', fields.CharField(null=True, max_length=32)),
                ('product', fields.ForeignKeyField('models.Product', source_field='product_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('unit_minor', fields.BigIntField()),
                ('vat_category', fields.CharField(max_length=12)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'fee_schedule_fee', 'app': 'models', 'unique_together': (('schedule_id', 'procedure_code'), ('schedule_id', 'product_id')), 'pk_attr': 'id', 'table_description': 'One private fee of a schedule: a catalogue procedure (by code) or a unit (unit / ml) of an'},
            bases=['Entity'],
        ),
    ]
