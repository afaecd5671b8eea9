"""No double booking, enforced by PostgreSQL itself: active occupancy blocks of the same key
(practitioner, room, patient or extra resource) may not overlap in time.

An exclusion constraint over (key, tstzrange) needs btree_gist for the equality part. SQLite
has no equivalent: there the booking service serialises writers per practice instead.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """
    ALTER TABLE schedule_block ADD CONSTRAINT schedule_block_no_overlap
        EXCLUDE USING gist (key WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
        WHERE (active)
    """,
]
DROP = ["ALTER TABLE schedule_block DROP CONSTRAINT IF EXISTS schedule_block_no_overlap"]


def _is_postgres(schema_editor) -> bool:
    module = type(schema_editor.client).__module__
    return "postgres" in module or "asyncpg" in module


async def forward(apps, schema_editor) -> None:
    if _is_postgres(schema_editor):
        for statement in CREATE:
            await schema_editor.client.execute_script(statement)


async def backward(apps, schema_editor) -> None:
    if _is_postgres(schema_editor):
        for statement in DROP:
            await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0002_audit_append_only")]

    operations = [ops.RunPython(forward, backward)]
