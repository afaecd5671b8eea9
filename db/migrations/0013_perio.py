"""Periodontal exams (one row per exam, readings as compact JSON), BPE records and the
follow-ups a BPE of 3 or 4 raises.

On PostgreSQL a trigger keeps what was recorded final: a FINAL exam's readings, time, author and
status cannot change (a DRAFT can, until it is made FINAL), and a BPE's codes and time cannot
change. Rows may still move to a merged record's survivor or be deleted by retention. SQLite
relies on the services.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

from db.postgres_only import postgres_only

FINAL = [
    """
    CREATE OR REPLACE FUNCTION perio_exam_final() RETURNS trigger AS $$
    BEGIN
        IF OLD.status = 'FINAL'
           AND (NEW.status, NEW.readings, NEW.examined_at, NEW.recorded_by_user_id,
                NEW.copied_from_id, NEW.practice_id, NEW.created_at)
               IS DISTINCT FROM
               (OLD.status, OLD.readings, OLD.examined_at, OLD.recorded_by_user_id,
                OLD.copied_from_id, OLD.practice_id, OLD.created_at) THEN
            RAISE EXCEPTION 'perio_exam is final (a FINAL exam cannot change)'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER perio_exam_final BEFORE UPDATE ON perio_exam
        FOR EACH ROW EXECUTE FUNCTION perio_exam_final()
    """,
    """
    CREATE OR REPLACE FUNCTION bpe_record_final() RETURNS trigger AS $$
    BEGIN
        IF (NEW.codes, NEW.highest, NEW.examined_at, NEW.recorded_by_user_id, NEW.practice_id,
            NEW.created_at)
           IS DISTINCT FROM
           (OLD.codes, OLD.highest, OLD.examined_at, OLD.recorded_by_user_id, OLD.practice_id,
            OLD.created_at) THEN
            RAISE EXCEPTION 'bpe_record is final (a recorded BPE cannot change)'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER bpe_record_final BEFORE UPDATE ON bpe_record
        FOR EACH ROW EXECUTE FUNCTION bpe_record_final()
    """,
]
DROP_FINAL = [
    "DROP TRIGGER IF EXISTS perio_exam_final ON perio_exam",
    "DROP FUNCTION IF EXISTS perio_exam_final()",
    "DROP TRIGGER IF EXISTS bpe_record_final ON bpe_record",
    "DROP FUNCTION IF EXISTS bpe_record_final()",
]


class Migration(migrations.Migration):
    dependencies = [('models', '0012_audit_read_patients')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BpeRecord',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name='bpe_records', on_delete=OnDelete.RESTRICT)),
                ('examined_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('recorded_by_user_id', fields.UUIDField(null=True)),
                ('codes', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('highest', fields.SmallIntField(null=True)),
            ],
            options={'table': 'bpe_record', 'app': 'models', 'indexes': [Index(fields=['patient_id', 'examined_at'])], 'pk_attr': 'id', 'table_description': 'One Basic Periodontal Examination: a code per sextant, as the BSP guidance records it.'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='PerioExam',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name='perio_exams', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharField(max_length=8)),
                ('examined_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('recorded_by_user_id', fields.UUIDField(null=True)),
                ('copied_from_id', fields.UUIDField(null=True)),
                ('readings', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'perio_exam', 'app': 'models', 'indexes': [Index(fields=['patient_id', 'examined_at'])], 'pk_attr': 'id', 'table_description': 'One periodontal chart of a patient: DRAFT while being charted, FINAL once signed off.'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='PerioFollowUp',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('practice', fields.ForeignKeyField('models.Practice', source_field='practice_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('patient', fields.ForeignKeyField('models.Patient', source_field='patient_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('bpe', fields.ForeignKeyField('models.BpeRecord', source_field='bpe_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('scope', fields.CharField(max_length=16)),
                ('sextants', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('due_on', fields.DateField()),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('done_by_exam_id', fields.UUIDField(null=True)),
            ],
            options={'table': 'perio_follow_up', 'app': 'models', 'indexes': [Index(fields=['patient_id', 'due_on'])], 'pk_attr': 'id', 'table_description': 'The follow-up a BPE of 3 or 4 asks for (a six-point chart of those sextants or of the'},
            bases=['Entity'],
        ),
        postgres_only(FINAL, DROP_FINAL),
    ]
