"""PostgreSQL refuses what the aesthetics services already refuse: stock below zero, a
non-positive injection, a map point off the map, a dose range upside down. A bug or a hand-typed
UPDATE then fails loudly instead of corrupting a recall. SQLite relies on the services.
"""

from tortoise import migrations

from db.postgres_only import postgres_only

CREATE = [
    "ALTER TABLE aesthetic_batch ADD CONSTRAINT aesthetic_batch_on_hand_not_negative "
    "CHECK (on_hand_milli >= 0 AND quantity_received_milli > 0)",
    "ALTER TABLE injection_point ADD CONSTRAINT injection_point_sane "
    "CHECK (amount_milli > 0 AND x >= 0 AND x <= 1 AND y >= 0 AND y <= 1)",
    "ALTER TABLE aesthetic_prescription ADD CONSTRAINT aesthetic_prescription_dose_range "
    "CHECK (dose_min_milli > 0 AND dose_min_milli <= dose_max_milli)",
]
DROP = [
    "ALTER TABLE aesthetic_prescription "
    "DROP CONSTRAINT IF EXISTS aesthetic_prescription_dose_range",
    "ALTER TABLE injection_point DROP CONSTRAINT IF EXISTS injection_point_sane",
    "ALTER TABLE aesthetic_batch DROP CONSTRAINT IF EXISTS aesthetic_batch_on_hand_not_negative",
]


class Migration(migrations.Migration):
    dependencies = [("models", "0015_aesthetics")]

    operations = [postgres_only(CREATE, DROP)]
