from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0021_stripe')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BillingSettings',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.OneToOneField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('currency', fields.CharField(default='GBP', max_length=3)),
                ('refund_approval_limit_minor', fields.BigIntField(default=10000)),
                ('deposit_forfeit_policy', fields.CharField(default='FORFEIT_LATE_OR_DNA', max_length=24)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'billing_settings', 'app': 'models', 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='CashReconciliation',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('day', fields.DateField()),
                ('currency', fields.CharField(default='GBP', max_length=3)),
                ('expected_minor', fields.BigIntField()),
                ('counted_minor', fields.BigIntField()),
                ('difference_minor', fields.BigIntField()),
                ('note', fields.TextField(null=True, unique=False)),
                ('counted_by_user_id', fields.UUIDField(null=True)),
            ],
            options={'table': 'cash_reconciliation', 'app': 'models', 'indexes': [Index(fields=['practice_id', 'day'])], 'pk_attr': 'id', 'table_description': 'Cash counted at the end of a practice day against the cash expected, and the difference.'},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='Payment',
            name='deposit_settled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
