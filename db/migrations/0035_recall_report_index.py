"""The recalls report now probes each recalled patient's appointments by index instead of reading
them all (``db/queries/report_recalls.py``): the next live booking, the latest completed visit
before a due date was met (a backward scan), and the bookings that held a late cycle.
``appointment_patient_cover`` (migration 0030) gains ``id`` as its last key, so "latest first,
ties by id" is the index's own order and the scans stay index-only.

SQLite has no ``INCLUDE``; its plain ``(patient_id, starts_at)`` index serves the same probes.
"""

from tortoise import migrations

from db.postgres_only import postgres_only

INCLUDED = "practice_id, appointment_type_id, status, created_at, cancelled_at, practitioner_id"
CREATE = [
    "DROP INDEX IF EXISTS appointment_patient_cover",
    "CREATE INDEX IF NOT EXISTS appointment_patient_cover ON appointment "
    f"(patient_id, starts_at, id) INCLUDE ({INCLUDED})",
]
DROP = [
    "DROP INDEX IF EXISTS appointment_patient_cover",
    "CREATE INDEX IF NOT EXISTS appointment_patient_cover ON appointment (patient_id, starts_at) "
    f"INCLUDE ({INCLUDED})",
]


class Migration(migrations.Migration):
    dependencies = [("models", "0034_staff_calendar")]

    operations = [postgres_only(CREATE, DROP)]
