"""NHS activity report: a practice's NHS England contract year by year (annual UDA target),
and courses indexed by completion day for counting them per bucket."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0026_report_money_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='NhsContractYear',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('starts_on', fields.DateField()),
                ('annual_uda_target', fields.IntField()),
                ('set_by_user_id', fields.UUIDField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'nhs_contract_year', 'app': 'models', 'unique_together': (('practice_id', 'starts_on'),), 'pk_attr': 'id', 'table_description': "One contract year of a practice's NHS England contract and its annual UDA target."},
            bases=['Entity'],
        ),
        ops.AddIndex(
            model_name='NhsCourse',
            index=Index(fields=['practice_id', 'completed_on']),
        ),
    ]
