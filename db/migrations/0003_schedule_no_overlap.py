"""No double booking, enforced by PostgreSQL itself: active occupancy blocks of the same key
(practitioner, room, patient or extra resource) may not overlap in time.

An exclusion constraint over (key, tstzrange) needs btree_gist for the equality part. SQLite
has no equivalent: there the booking service serialises writers per practice instead.
"""

from tortoise import migrations

from db.postgres_only import postgres_only

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """
    ALTER TABLE schedule_block ADD CONSTRAINT schedule_block_no_overlap
        EXCLUDE USING gist (key WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
        WHERE (active)
    """,
]
DROP = ["ALTER TABLE schedule_block DROP CONSTRAINT IF EXISTS schedule_block_no_overlap"]


class Migration(migrations.Migration):
    dependencies = [("models", "0002_audit_append_only")]

    operations = [postgres_only(CREATE, DROP)]
