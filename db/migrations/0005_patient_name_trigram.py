"""Fast patient name search on PostgreSQL: a trigram index serves the "a word of the name
starts with …" condition (``LIKE 'tok%' OR LIKE '% tok%'``), which no b-tree can.

The index is on ``search_name::varchar`` because that is the expression Tortoise emits around
LIKE. ``pg_trgm`` is a trusted extension (PostgreSQL 13+): the database owner may create it.
SQLite keeps scanning; its databases are small by nature.
"""

from tortoise import migrations

from db.postgres_only import postgres_only

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS patient_search_name_trgm "
    "ON patient USING gin ((search_name::varchar) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS patient_search_name_trgm"]


class Migration(migrations.Migration):
    dependencies = [("models", "0004_consent_append_only")]

    operations = [postgres_only(CREATE, DROP)]
