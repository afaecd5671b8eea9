"""Ranked patient name search (db.queries.patient_search): ``search_name`` compares in the "C"
collation on PostgreSQL (code point order, as SQLite's BINARY does, so both engines rank and page
alike and a word prefix is an index range whatever the database's locale), a b-tree on
(practice_id, search_name, id) and one on (practice_id, the name after its first word, id) whose
slices the search reads in order, and the trigram index made per practice (btree_gin) for the
rare words found only inside a name, so at 1,000,000 patients it reads only its practice's
entries. ``btree_gin`` is a trusted extension (PostgreSQL 13+), like ``pg_trgm``.
Changing the column's collation rebuilds the indexes on it.
"""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from db.postgres_only import postgres_only

CREATE = [
    'ALTER TABLE patient ALTER COLUMN search_name TYPE VARCHAR(320) COLLATE "C"',
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "DROP INDEX IF EXISTS patient_search_name_trgm",
    # search_name's own index (db_index): every search names the practice, and with this one
    # the planner took a bitmap of a whole slice and a sort over the ordered composite scan.
    "DROP INDEX IF EXISTS idx_patient_search__e1aa04",
    "CREATE INDEX IF NOT EXISTS patient_practice_name_trgm "
    "ON patient USING gin (practice_id, (search_name::varchar) gin_trgm_ops)",
    # Both b-trees include what an arm's filters read (the other words, the status), so an arm
    # is an index-only scan: its misses cost an index tuple each, not a heap fetch.
    "DROP INDEX IF EXISTS patient_practice_search_name_id",
    "CREATE INDEX patient_practice_search_name_id "
    "ON patient (practice_id, search_name, id) INCLUDE (status)",
    "CREATE INDEX IF NOT EXISTS patient_practice_given_name "
    "ON patient (practice_id, (substr(search_name, strpos(search_name, ' ') + 1)), id) "
    "INCLUDE (search_name, status)",
]
DROP = [
    "DROP INDEX IF EXISTS patient_practice_given_name",
    "DROP INDEX IF EXISTS patient_practice_search_name_id",
    "CREATE INDEX patient_practice_search_name_id ON patient (practice_id, search_name, id)",
    "DROP INDEX IF EXISTS patient_practice_name_trgm",
    "CREATE INDEX IF NOT EXISTS patient_search_name_trgm "
    "ON patient USING gin ((search_name::varchar) gin_trgm_ops)",
    "ALTER TABLE patient ALTER COLUMN search_name TYPE VARCHAR(320)",
    "CREATE INDEX IF NOT EXISTS idx_patient_search__e1aa04 ON patient (search_name)",
]


class Migration(migrations.Migration):
    dependencies = [("models", "0040_relay_lease")]

    initial = False

    operations = [
        ops.RemoveIndex(model_name="Patient", name=None, fields=["practice_id", "search_name"]),
        ops.AddIndex(
            model_name="Patient",
            index=Index(
                fields=["practice_id", "search_name", "id"], name="patient_practice_search_name_id"
            ),
        ),
        postgres_only(CREATE, DROP),
    ]
