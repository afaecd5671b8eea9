from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0032_messages')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PartnerWebhookCursor',
            fields=[
                ('practice_id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('last_sequence', fields.BigIntField(default=0)),
            ],
            options={'table': 'partner_webhook_cursor', 'app': 'models', 'pk_attr': 'practice_id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PartnerWebhookEndpoint',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='webhook_endpoints', on_delete=OnDelete.CASCADE)),
                ('partner_client', fields.ForeignKeyField('models.PartnerClient', source_field='partner_client_id', db_constraint=True, to_field='id', related_name='webhook_endpoints', on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(max_length=2000)),
                ('event_types', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('secret', fields.TextField(unique=False)),
                ('enabled', fields.BooleanField(default=True)),
                ('consecutive_failures', fields.IntField(default=0)),
                ('disabled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('disabled_reason', fields.CharField(null=True, max_length=32)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'partner_webhook_endpoint', 'app': 'models', 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='PartnerWebhookDelivery',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('endpoint', fields.ForeignKeyField('models.PartnerWebhookEndpoint', source_field='endpoint_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('event_id', fields.UUIDField()),
                ('practice_id', fields.UUIDField()),
                ('sequence', fields.BigIntField()),
                ('event_type', fields.CharField(max_length=40)),
                ('status', fields.CharField(default='PENDING', max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('last_status_code', fields.IntField(null=True)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'partner_webhook_delivery', 'app': 'models', 'unique_together': (('endpoint_id', 'event_id'),), 'indexes': [Index(fields=['endpoint_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='PartnerWebhookAttempt',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('delivery', fields.ForeignKeyField('models.PartnerWebhookDelivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='attempt_log', on_delete=OnDelete.CASCADE)),
                ('attempt', fields.IntField()),
                ('status_code', fields.IntField(null=True)),
                ('duration_ms', fields.IntField()),
                ('outcome', fields.CharField(max_length=16)),
                ('response_excerpt', fields.CharField(null=True, max_length=512)),
            ],
            options={'table': 'partner_webhook_attempt', 'app': 'models', 'pk_attr': 'id'},
            bases=['Entity'],
        ),
    ]
