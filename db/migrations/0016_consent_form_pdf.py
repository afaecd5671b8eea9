from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0015_aesthetics')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ConsentFormInstance',
            name='pdf_document_id',
            field=fields.UUIDField(null=True),
        ),
        ops.AddField(
            model_name='ConsentFormInstance',
            name='void_reason',
            field=fields.TextField(null=True, unique=False),
        ),
    ]
