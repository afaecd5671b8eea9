"""Consent form instances keep the signed form rendered as a PDF (a CONSENT_FORM document) and
the reason a form was voided (encrypted)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0016_aesthetic_checks')]

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
