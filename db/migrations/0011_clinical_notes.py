"""Clinical notes: notes, their amendments, practice templates and the auto-lock setting;
the trainee flag on memberships (a trainee's note needs a co-signature)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_documents')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ClinicalNote',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('appointment_id', fields.UUIDField(null=True)),
                ('template_id', fields.UUIDField(null=True)),
                ('status', fields.CharField(default='DRAFT', max_length=24)),
                ('content', fields.TextField(unique=False)),
                ('content_sha256', fields.CharField(null=True, max_length=64)),
                ('author_user_id', fields.UUIDField()),
                ('requires_cosignature', fields.BooleanField(default=False)),
                ('signed_by_user_id', fields.UUIDField(null=True)),
                ('signed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cosigned_by_user_id', fields.UUIDField(null=True)),
                ('cosigned_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('locked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'clinical_note', 'app': 'models', 'indexes': [Index(fields=['patient_id', 'created_at']), Index(fields=['status', 'created_at'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='ClinicalNoteAmendment',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('note', fields.ForeignKeyField('models.ClinicalNote', source_field='note_id', db_constraint=True, to_field='id', related_name='amendments', on_delete=OnDelete.CASCADE)),
                ('sequence', fields.IntField()),
                ('content', fields.TextField(unique=False)),
                ('content_sha256', fields.CharField(max_length=64)),
                ('author_user_id', fields.UUIDField()),
            ],
            options={'table': 'clinical_note_amendment', 'app': 'models', 'unique_together': (('note', 'sequence'),), 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='ClinicalNoteSettings',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', unique=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('auto_lock_days', fields.IntField()),
            ],
            options={'table': 'clinical_note_settings', 'app': 'models', 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='NoteTemplate',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=120)),
                ('field_specs', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('archived', fields.BooleanField(default=False)),
                ('created_by_user_id', fields.UUIDField(null=True)),
            ],
            options={'table': 'note_template', 'app': 'models', 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='Membership',
            name='trainee',
            field=fields.BooleanField(default=False),
        ),
    ]
