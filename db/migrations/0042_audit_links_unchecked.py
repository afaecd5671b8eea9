"""Audit patient links without a foreign-key check (issue #20: the board's PostgreSQL CPU).

A board read writes one audit row and a link per patient shown (about 300). On PostgreSQL each
link's foreign key to ``audit_event`` is a trigger running a lookup per row: 300 links cost about
2 ms of PostgreSQL CPU more with it than without (bench/README.md, ``board.py``). The check guards nothing the
writer does not already: links are inserted by the same statement (or transaction) as their audit
row, both tables refuse UPDATE and DELETE, and the row's hash covers its sorted patient ids, so a
link added, removed or changed breaks chain verification (``db.audit_chain.verify``). The
relation stays in the model (``db_constraint=False``) for joins. SQLite keeps its constraint:
Tortoise would rebuild the table to drop it, and SQLite is the single-process default, not the
board's production path.
"""

from typing import Any

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from db.postgres_only import postgres_only

# The constraint's generated name is Tortoise's; find it by what it references.
CREATE = [
    """
    DO $$
    DECLARE name_ text;
    BEGIN
        FOR name_ IN
            SELECT conname FROM pg_constraint
            WHERE conrelid = 'audit_read_patient'::regclass AND contype = 'f'
              AND confrelid = 'audit_event'::regclass
        LOOP
            EXECUTE format('ALTER TABLE audit_read_patient DROP CONSTRAINT %I', name_);
        END LOOP;
    END $$
    """,
]
DROP = [
    "ALTER TABLE audit_read_patient ADD CONSTRAINT audit_read_patient_audit_id_fkey "
    "FOREIGN KEY (audit_id) REFERENCES audit_event (id) ON DELETE RESTRICT",
]


class _StateOnlyAlterField(ops.AlterField):
    """The model's new state; the database side is ``postgres_only`` below (Tortoise's own
    alter is a no-op on PostgreSQL and rebuilds the table, indexes lost, on SQLite)."""

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def database_backward(self, *args: Any, **kwargs: Any) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [("models", "0041_patient_search_ranked")]

    initial = False

    operations = [
        _StateOnlyAlterField(
            model_name="AuditReadPatient",
            name="audit",
            field=fields.ForeignKeyField(
                "models.AuditEvent",
                source_field="audit_id",
                db_constraint=False,
                to_field="id",
                related_name="read_patients",
                on_delete=OnDelete.RESTRICT,
            ),
        ),
        postgres_only(CREATE, DROP),
    ]
