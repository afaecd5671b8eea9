"""The outbox relay's lease (``relay_lease``): which worker publishes domain events when the bus is
PostgreSQL; a row per lease, taken once expired (``realtime.lease``). No seed row: the first
relay inserts it."""
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0039_key_presence')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RelayLease',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('holder', fields.CharField(default='', max_length=200)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'relay_lease', 'app': 'models', 'pk_attr': 'name', 'table_description': "Which worker's outbox relay publishes (``realtime.lease``, PostgreSQL bus): one row per"},
            bases=['Model'],
        ),
    ]
