from tortoise import migrations
from tortoise.migrations import operations as ops
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0020_invoice_immutable')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('provider', fields.CharField(max_length=16)),
                ('event_id', fields.CharField(null=True, max_length=255)),
                ('claimed_event_id', fields.CharField(null=True, max_length=255)),
                ('type', fields.CharField(null=True, max_length=64)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('outcome', fields.CharField(max_length=24)),
                ('error', fields.CharField(null=True, max_length=255)),
                ('payment_id', fields.UUIDField(null=True)),
                ('body_bytes', fields.IntField(default=0)),
            ],
            options={'table': 'webhook_delivery', 'app': 'models', 'unique_together': (('provider', 'event_id'),), 'indexes': [Index(fields=['received_at']), Index(fields=['claimed_event_id'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='Payment',
            name='invoice_id',
            field=fields.UUIDField(null=True),
        ),
    ]
