"""Reports on PostgreSQL, second round (``bench/reports.py``, 500,000 appointments, 200,000
invoices): the indexes each report's per-bucket range scan reads, so it never visits the heap.

- ``appointment_report_cover`` gains ``ends_at`` (utilisation cuts each appointment at the
  bucket's edges) and ``patient_id`` (patient mix counts distinct patients and finds each one's
  first attended visit): rebuilt wider in place of migration 0029's.
- ``payment (practice_id, received_at)`` with what takings and invoiced-vs-taken sum and group
  by, and ``invoice (practice_id, issued_at)`` with what invoiced-vs-taken sums: both money
  reports were reading the heap row by row for every bucket.

SQLite has no ``INCLUDE``; its databases are small by nature.
"""

from tortoise import migrations

from db.postgres_only import postgres_only

APPOINTMENT_COLUMNS = (
    "status, source, late_cancellation, practitioner_id, room_id, appointment_type_id, "
    "ends_at, patient_id"
)
NARROW_COLUMNS = "status, source, late_cancellation, practitioner_id, room_id, appointment_type_id"
CREATE = [
    "DROP INDEX IF EXISTS appointment_report_cover",
    "CREATE INDEX IF NOT EXISTS appointment_report_cover ON appointment (practice_id, starts_at) "
    f"INCLUDE ({APPOINTMENT_COLUMNS})",
    "CREATE INDEX IF NOT EXISTS payment_report_cover ON payment (practice_id, received_at) "
    "INCLUDE (status, kind, currency, method, practitioner_id, amount_minor)",
    "CREATE INDEX IF NOT EXISTS invoice_report_cover ON invoice (practice_id, issued_at) "
    "INCLUDE (kind, currency, total_minor)",
]
DROP = [
    "DROP INDEX IF EXISTS invoice_report_cover",
    "DROP INDEX IF EXISTS payment_report_cover",
    "DROP INDEX IF EXISTS appointment_report_cover",
    "CREATE INDEX IF NOT EXISTS appointment_report_cover ON appointment (practice_id, starts_at) "
    f"INCLUDE ({NARROW_COLUMNS})",
]


class Migration(migrations.Migration):
    dependencies = [("models", "0029_report_indexes")]

    operations = [postgres_only(CREATE, DROP)]
