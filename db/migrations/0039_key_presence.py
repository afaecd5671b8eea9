from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0038_trusted_documents')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ProcessKeys',
            fields=[
                ('process', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=200)),
                ('kind', fields.CharField(max_length=16)),
                ('key_ids', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('current_key_id', fields.CharField(max_length=64)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'process_keys', 'app': 'models', 'pk_attr': 'process'},
            bases=['Model'],
        ),
    ]
