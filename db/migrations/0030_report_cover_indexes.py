"""Reports on PostgreSQL, second round (``bench/reports.py``, 500,000 appointments, 200,000
invoices): the indexes each report's per-bucket range scan reads, so it never visits the heap.

- ``appointment_report_cover`` gains ``ends_at`` (utilisation cuts each appointment at the
  bucket's edges) and ``patient_id`` (patient mix counts distinct patients and finds each one's
  first attended visit): rebuilt wider in place of migration 0029's.
- ``appointment (patient_id, starts_at)`` with what the recalls report reads of each recalled
  patient's appointments (type, status, practitioner, when booked and cancelled): it read
  220,000 heap rows for an organisation's year, now none (1.2 s p50 instead of 2.4 s).
- ``payment (practice_id, received_at)`` with what takings and invoiced-vs-taken sum and group
  by, and ``invoice (practice_id, issued_at)`` with what invoiced-vs-taken sums: both money
  reports were reading the heap row by row for every bucket.
- JIT compilation off for the database's sessions: a report's plan over many buckets is costed
  above ``jit_above_cost`` and PostgreSQL then spent 200 ms to 1 s compiling it, more than
  running it (patient mix, recalls). Set per database, so it holds behind PgBouncer too; a
  role that may not alter the database keeps the server's setting (a notice, not a failure).

SQLite has no ``INCLUDE``; its databases are small by nature.
"""

from tortoise import migrations

from db.postgres_only import postgres_only

APPOINTMENT_COLUMNS = (
    "status, source, late_cancellation, practitioner_id, room_id, appointment_type_id, "
    "ends_at, patient_id"
)
NARROW_COLUMNS = "status, source, late_cancellation, practitioner_id, room_id, appointment_type_id"
JIT = """
DO $$ BEGIN
  EXECUTE format('ALTER DATABASE %I SET jit = {value}', current_database());
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'jit left as the server sets it: this role may not alter the database';
END $$"""
CREATE = [
    JIT.replace("{value}", "off"),
    "DROP INDEX IF EXISTS appointment_report_cover",
    "CREATE INDEX IF NOT EXISTS appointment_report_cover ON appointment (practice_id, starts_at) "
    f"INCLUDE ({APPOINTMENT_COLUMNS})",
    "CREATE INDEX IF NOT EXISTS appointment_patient_cover ON appointment (patient_id, starts_at) "
    "INCLUDE (practice_id, appointment_type_id, status, created_at, cancelled_at, practitioner_id)",
    "CREATE INDEX IF NOT EXISTS payment_report_cover ON payment (practice_id, received_at) "
    "INCLUDE (status, kind, currency, method, practitioner_id, amount_minor)",
    "CREATE INDEX IF NOT EXISTS invoice_report_cover ON invoice (practice_id, issued_at) "
    "INCLUDE (kind, currency, total_minor)",
]
DROP = [
    JIT.replace("SET jit = {value}", "RESET jit"),
    "DROP INDEX IF EXISTS invoice_report_cover",
    "DROP INDEX IF EXISTS payment_report_cover",
    "DROP INDEX IF EXISTS appointment_patient_cover",
    "DROP INDEX IF EXISTS appointment_report_cover",
    "CREATE INDEX IF NOT EXISTS appointment_report_cover ON appointment (practice_id, starts_at) "
    f"INCLUDE ({NARROW_COLUMNS})",
]


class Migration(migrations.Migration):
    dependencies = [("models", "0029_report_indexes")]

    operations = [postgres_only(CREATE, DROP)]
