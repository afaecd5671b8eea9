"""Trusted documents (persisted operations): the ``trusted_document`` table (one row per owner
and document id: a partner client's, or the first-party set's) and, on ``partner_client``,
``trusted_documents_only`` (runs registered documents only; existing clients: false) and
``documents_version`` (bumped on a removal so every server drops its cached copy; 0)."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0037_partner_client_admin')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TrustedDocument',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='trusted_documents', on_delete=OnDelete.CASCADE)),
                ('owner', fields.CharField(max_length=64)),
                ('document_id', fields.CharField(max_length=71)),
                ('body', fields.TextField(unique=False)),
                ('registered_by_user_id', fields.UUIDField(null=True)),
            ],
            options={'table': 'trusted_document', 'app': 'models', 'unique_together': (('owner', 'document_id'),), 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='PartnerClient',
            name='documents_version',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='PartnerClient',
            name='trusted_documents_only',
            field=fields.BooleanField(default=False),
        ),
    ]
