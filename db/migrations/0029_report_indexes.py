"""Reports on PostgreSQL: the appointments of a practice indexed by start with every column
the attendance report counts or filters on, so each bucket of the report (one range scan per
bucket, ``db.queries.report_sql.Statement.in_buckets``) is an index-only scan instead of heap
reads scattered over the table. Measured with ``bench/reports.py`` (500,000 appointments, 20
practices, the machine nearly idle): an organisation's year by week 250 ms p50 without it, 131
ms with it. SQLite has no ``INCLUDE``; its databases are small by nature.
"""

from tortoise import migrations

from db.postgres_only import postgres_only

CREATE = [
    "CREATE INDEX IF NOT EXISTS appointment_report_cover ON appointment (practice_id, starts_at) "
    "INCLUDE (status, source, late_cancellation, practitioner_id, room_id, appointment_type_id)",
]
DROP = ["DROP INDEX IF EXISTS appointment_report_cover"]


class Migration(migrations.Migration):
    dependencies = [("models", "0028_recall_met")]

    operations = [postgres_only(CREATE, DROP)]
