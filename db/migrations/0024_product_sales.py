"""Retail product sales (``product_sale``: a product sold to a patient from a batch, with its
SOLD stock movement), and ``invoice_line.service_on``: the day of the work a line bills, by which
a membership's yearly allowance counts its covered lines."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0023_fees')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ProductSale',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('product', fields.ForeignKeyField('models.Product', source_field='product_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('batch', fields.ForeignKeyField('models.Batch', source_field='batch_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('movement', fields.ForeignKeyField('models.StockMovement', source_field='movement_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('quantity', fields.IntField()),
                ('sold_on', fields.DateField()),
                ('sold_by_user_id', fields.UUIDField(null=True)),
            ],
            options={'table': 'product_sale', 'app': 'models', 'indexes': [Index(fields=['patient_id', 'sold_on']), Index(fields=['practice_id', 'sold_on'])], 'pk_attr': 'id', 'table_description': 'One product sold to a patient from one batch: how many, which day, its SOLD movement.'},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='InvoiceLine',
            name='service_on',
            field=fields.DateField(null=True),
        ),
        ops.AlterModelOptions(
            name='StockMovement',
            options={'table': 'aesthetic_stock_movement', 'app': 'models', 'indexes': [Index(fields=['batch_id', 'occurred_at']), Index(fields=['practice_id', 'occurred_at'])], 'pk_attr': 'id', 'table_description': "One signed change to a batch's stock: RECEIVED, USED, SOLD, WASTED, RETURNED or ADJUSTED."},
        ),
    ]
