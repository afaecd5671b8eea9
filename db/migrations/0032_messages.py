"""Messages: the record of every email and SMS, practice template versions, message settings."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0031_jobs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Message',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('staff_user_id', fields.UUIDField(null=True)),
                ('direction', fields.CharField(default='OUT', max_length=8)),
                ('channel', fields.CharField(max_length=8)),
                ('transport', fields.CharField(null=True, max_length=16)),
                ('purpose', fields.CharField(max_length=40)),
                ('contact_purpose', fields.CharField(max_length=12)),
                ('template_name', fields.CharField(null=True, max_length=60)),
                ('template_version', fields.IntField(default=0)),
                ('subject_id', fields.UUIDField(null=True)),
                ('subject_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('campaign', fields.CharField(null=True, max_length=60)),
                ('status', fields.CharField(default='QUEUED', max_length=12)),
                ('status_reason', fields.CharField(null=True, max_length=200)),
                ('provider_message_id', fields.CharField(null=True, max_length=120)),
                ('address_masked', fields.CharField(null=True, max_length=80)),
                ('to_address', fields.TextField(null=True, unique=False)),
                ('to_index', fields.CharField(null=True, max_length=64)),
                ('context', fields.TextField(null=True, unique=False)),
                ('rendered_subject', fields.TextField(null=True, unique=False)),
                ('rendered_text', fields.TextField(null=True, unique=False)),
                ('needs_call', fields.BooleanField(default=False)),
                ('scheduled_for', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('failed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'message', 'app': 'models', 'indexes': [Index(fields=['practice_id', 'created_at']), Index(fields=['to_index', 'created_at']), Index(fields=['subject_id'])], 'pk_attr': 'id', 'table_description': 'One email or SMS to or from a patient or staff member.'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='MessageSettings',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.OneToOneField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('sender_name', fields.CharField(null=True, max_length=120)),
                ('sender_email', fields.CharField(null=True, max_length=254)),
                ('reply_to', fields.CharField(null=True, max_length=254)),
                ('sms_from', fields.CharField(null=True, max_length=20)),
                ('reminder_hours', fields.IntField(default=24)),
                ('reminder_hours_by_type', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('quiet_start_minute', fields.IntField(default=1260)),
                ('quiet_end_minute', fields.IntField(default=480)),
                ('development_channel', fields.BooleanField(default=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'message_settings', 'app': 'models', 'pk_attr': 'id', 'table_description': "A practice's sender identity, reminder timing and quiet hours."},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='MessageTemplate',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=60)),
                ('version', fields.IntField()),
                ('subject', fields.TextField(unique=False)),
                ('text_body', fields.TextField(unique=False)),
                ('html_body', fields.TextField(null=True, unique=False)),
                ('sms_body', fields.TextField(null=True, unique=False)),
                ('created_by_user_id', fields.UUIDField(null=True)),
            ],
            options={'table': 'message_template', 'app': 'models', 'unique_together': (('practice_id', 'name', 'version'),), 'pk_attr': 'id', 'table_description': "A practice's version of a message template."},
            bases=['Entity'],
        ),
    ]
