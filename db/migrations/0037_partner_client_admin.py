"""Partner clients managed over GraphQL: ``previous_secret_hash`` / ``previous_secret_expires_at``
(the old secret keeps working for a grace period after a rotation) and ``deleted_at`` (an admin
deleted the client; the row stays for the audit trail) and ``token_version`` (carried by its
tokens as ``ver``; suspension and deletion bump it). Existing rows: no previous secret, not
deleted, version 0 (their tokens carry no ``ver``, read as 0)."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0036_call_requests')]

    initial = False

    operations = [
        ops.AddField(
            model_name='PartnerClient',
            name='deleted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='PartnerClient',
            name='previous_secret_expires_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='PartnerClient',
            name='previous_secret_hash',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AddField(
            model_name='PartnerClient',
            name='token_version',
            field=fields.IntField(default=0),
        ),
    ]
