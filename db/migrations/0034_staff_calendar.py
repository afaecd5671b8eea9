from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0033_webhooks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountToken',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('purpose', fields.CharField(max_length=16)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('new_email', fields.CharField(null=True, max_length=254)),
                ('created_by_id', fields.UUIDField(null=True)),
            ],
            options={'table': 'account_token', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Invitation, password reset or email change: single use, expiring.'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='CalendarFeed',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=16)),
                ('practitioner_id', fields.UUIDField(null=True)),
                ('patient_id', fields.UUIDField(null=True)),
                ('secret_hash', fields.CharField(max_length=64)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'calendar_feed', 'app': 'models', 'pk_attr': 'id', 'table_description': "A subscribed iCalendar URL: one practitioner's diary or one portal account's bookings."},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='Organization',
            name='address',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Practice',
            name='address',
            field=fields.TextField(null=True, unique=False),
        ),
    ]
