"""Privacy promises kept in storage: appointment reception notes encrypted (existing rows too),
legal holds with an end date and who lifted them, and the parental-responsibility evidence seen
when a guardian is given portal access to a child.

The data step needs the key ring (``aescrm migrate`` passes it); on a database with no
appointment notes it needs nothing. Values already encrypted are left alone, so a re-run or a
partly migrated copy is safe. Backwards, notes are decrypted again.
"""

from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from db.crypto import CiphertextError, FieldContext, KeyRing
from db.migration_keys import MIGRATION_KEYRING, required

TABLE = "appointment"
COLUMN = "reception_notes"
SELECT = "SELECT id, practice_id, reception_notes FROM appointment WHERE reception_notes IS NOT NULL"
UPDATE_POSTGRES = "UPDATE appointment SET reception_notes = $1 WHERE id = $2"
UPDATE_SQLITE = "UPDATE appointment SET reception_notes = ? WHERE id = ?"


def _is_postgres(schema_editor: Any) -> bool:
    module = type(schema_editor.client).__module__
    return "postgres" in module or "asyncpg" in module


def _context(row: dict[str, Any]) -> FieldContext:
    return FieldContext(str(row["practice_id"]), TABLE, COLUMN, str(row["id"]))


def _decrypts(ring: KeyRing | None, value: str, ctx: FieldContext) -> bool:
    if ring is None or not value.startswith("v1."):
        return False
    try:
        ring.decrypt(value, ctx)
    except (CiphertextError, ValueError):
        return False
    return True


async def _rewrite(schema_editor: Any, *, encrypt: bool) -> None:
    client = schema_editor.client
    rows = await client.execute_query_dict(SELECT)
    if not rows:
        return
    ring = required("Encrypting appointment reception notes") if encrypt else None
    ring = ring or MIGRATION_KEYRING.get()
    update = UPDATE_POSTGRES if _is_postgres(schema_editor) else UPDATE_SQLITE
    for row in rows:
        value, ctx = str(row[COLUMN]), _context(row)
        sealed = _decrypts(ring, value, ctx)
        if encrypt and not sealed:
            assert ring is not None
            await client.execute_query(update, [ring.encrypt(value, ctx), row["id"]])
        elif not encrypt and sealed:
            assert ring is not None
            await client.execute_query(update, [ring.decrypt(value, ctx), row["id"]])


async def encrypt_notes(apps: Any, schema_editor: Any) -> None:
    await _rewrite(schema_editor, encrypt=True)


async def decrypt_notes(apps: Any, schema_editor: Any) -> None:
    await _rewrite(schema_editor, encrypt=False)


class Migration(migrations.Migration):
    dependencies = [("models", "0006_appointment_type_online_bookable")]

    initial = False

    operations = [
        ops.AddField(model_name="LegalHold", name="held_until", field=fields.DateField(null=True)),
        ops.AddField(
            model_name="LegalHold", name="released_by_user_id", field=fields.UUIDField(null=True)
        ),
        ops.AddField(
            model_name="LegalHold",
            name="release_reason",
            field=fields.CharField(max_length=300, null=True),
        ),
        ops.AddField(
            model_name="GuardianLink",
            name="responsibility_evidence",
            field=fields.CharField(max_length=40, null=True),
        ),
        ops.AddField(
            model_name="GuardianLink",
            name="evidence_checked_by_user_id",
            field=fields.UUIDField(null=True),
        ),
        ops.AddField(
            model_name="GuardianLink",
            name="evidence_checked_at",
            field=fields.DatetimeField(null=True),
        ),
        ops.RunPython(encrypt_notes, decrypt_notes),
    ]
