"""Reports on PostgreSQL, third round (``bench/reports.py``: 500,000 appointments in 20
practices; an organisation's year by week).

- The recalls report now probes each recalled patient's appointments by index instead of
  reading them all (``db/queries/report_recalls.py``): the next live booking, the latest
  completed visit before a due date was met (a backward scan), and the bookings that held a
  late cycle. ``appointment_patient_cover`` (migration 0030) gains ``id`` as its last key, so
  "latest first, ties by id" is the index's own order and the scans stay index-only.
- Waiting and chair times read three stamps of every seated visit from the heap (97,000 rows
  for the roll-up). A partial index of the seated visits by ``(practice_id, starts_at)`` carries
  the stamps and the filter columns: index-only, 189 → 104 ms p50 for the roll-up by week. Only
  visits that reached the chair are in it, so it stays a fraction of the table.

SQLite has no ``INCLUDE``; its plain ``(patient_id, starts_at)`` and ``(practice_id,
starts_at)`` indexes serve the same scans.
"""

from tortoise import migrations

from db.postgres_only import postgres_only

INCLUDED = "practice_id, appointment_type_id, status, created_at, cancelled_at, practitioner_id"
CREATE = [
    "DROP INDEX IF EXISTS appointment_patient_cover",
    "CREATE INDEX IF NOT EXISTS appointment_patient_cover ON appointment "
    f"(patient_id, starts_at, id) INCLUDE ({INCLUDED})",
    "CREATE INDEX IF NOT EXISTS appointment_visit_times ON appointment (practice_id, starts_at) "
    "INCLUDE (arrived_at, seated_at, completed_at, practitioner_id, room_id, appointment_type_id) "
    "WHERE seated_at IS NOT NULL",
]
DROP = [
    "DROP INDEX IF EXISTS appointment_visit_times",
    "DROP INDEX IF EXISTS appointment_patient_cover",
    "CREATE INDEX IF NOT EXISTS appointment_patient_cover ON appointment (patient_id, starts_at) "
    f"INCLUDE ({INCLUDED})",
]


class Migration(migrations.Migration):
    dependencies = [("models", "0034_staff_calendar")]

    operations = [postgres_only(CREATE, DROP)]
