"""Issued invoices are immutable: ``credited_minor`` on the invoice (what credit notes took off
it), and on PostgreSQL triggers refusing any change to an issued invoice's frozen columns and
any DELETE of an issued invoice, its lines or a ledger entry. The one exception: the retention
purge deletes a patient's financial rows once their period is over, in a transaction that first
chained a RECORDS_PURGED ledger entry naming them (``services/billing/retention.py``).

Still allowed on an issued invoice: status, paid_minor, credited_minor, voided_at, updated_at
(payments and credit notes move these) and the ciphertext ``notes`` / line ``description``
(key rotation re-encrypts them; the plain text does not change). SQLite has no triggers here;
``aescrm verify-ledger`` finds an edit there by comparing each ledger entry with the rows.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from db.postgres_only import postgres_only

FROZEN_INVOICE = (
    "practice_id, patient_id, kind, number, sequence_number, credits_invoice_id, "
    "appointment_id, practitioner_id, currency, net_minor, vat_minor, total_minor, tax_point, "
    "due_on, issued_at, issued_by_user_id, created_at, id"
)
FROZEN_LINE = (
    "practice_id, invoice_id, position, source, source_id, code, tooth, quantity, unit_minor, "
    "net_minor, vat_category, vat_rate_basis_points, vat_minor, total_minor, id"
)

# Only the retention purge (``services/billing/retention.py``) deletes issued rows, after their
# legal retention period, and only in a transaction that set this and chained a RECORDS_PURGED
# entry naming them; anything else is refused.
NOT_PURGING = "coalesce(current_setting('aescrm.retention_purge', true), '') <> 'on'"

CREATE = [
    f"""
    CREATE OR REPLACE FUNCTION invoice_frozen() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF OLD.status <> 'DRAFT' AND {NOT_PURGING} THEN
                RAISE EXCEPTION 'issued invoice % cannot be deleted', OLD.id
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN OLD;
        END IF;
        IF OLD.status <> 'DRAFT'
           AND ROW({", ".join("OLD." + c.strip() for c in FROZEN_INVOICE.split(","))})
               IS DISTINCT FROM
               ROW({", ".join("NEW." + c.strip() for c in FROZEN_INVOICE.split(","))}) THEN
            RAISE EXCEPTION 'issued invoice % is immutable', OLD.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.status <> 'DRAFT' AND NEW.status = 'DRAFT' THEN
            RAISE EXCEPTION 'issued invoice % cannot return to DRAFT', OLD.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER invoice_frozen_when_issued
        BEFORE UPDATE OR DELETE ON invoice
        FOR EACH ROW EXECUTE FUNCTION invoice_frozen()
    """,
    f"""
    CREATE OR REPLACE FUNCTION invoice_line_frozen() RETURNS trigger AS $$
    DECLARE
        state text;
    BEGIN
        SELECT status INTO state FROM invoice WHERE id = OLD.invoice_id;
        IF state IS NOT NULL AND state <> 'DRAFT' THEN
            IF TG_OP = 'DELETE' AND {NOT_PURGING} THEN
                RAISE EXCEPTION 'a line of issued invoice % cannot be deleted', OLD.invoice_id
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF TG_OP = 'UPDATE' THEN
                IF ROW({", ".join("OLD." + c.strip() for c in FROZEN_LINE.split(","))})
                   IS DISTINCT FROM
                   ROW({", ".join("NEW." + c.strip() for c in FROZEN_LINE.split(","))}) THEN
                    RAISE EXCEPTION 'a line of issued invoice % is immutable', OLD.invoice_id
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
            END IF;
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER invoice_line_frozen_when_issued
        BEFORE UPDATE OR DELETE ON invoice_line
        FOR EACH ROW EXECUTE FUNCTION invoice_line_frozen()
    """,
    """
    CREATE OR REPLACE FUNCTION ledger_entry_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'ledger_entry is append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER ledger_entry_no_update_or_delete
        BEFORE UPDATE OR DELETE ON ledger_entry
        FOR EACH ROW EXECUTE FUNCTION ledger_entry_append_only()
    """,
]
DROP = [
    "DROP TRIGGER IF EXISTS ledger_entry_no_update_or_delete ON ledger_entry",
    "DROP FUNCTION IF EXISTS ledger_entry_append_only()",
    "DROP TRIGGER IF EXISTS invoice_line_frozen_when_issued ON invoice_line",
    "DROP FUNCTION IF EXISTS invoice_line_frozen()",
    "DROP TRIGGER IF EXISTS invoice_frozen_when_issued ON invoice",
    "DROP FUNCTION IF EXISTS invoice_frozen()",
]


class Migration(migrations.Migration):
    dependencies = [("models", "0019_recall_index")]

    operations = [
        ops.AddField(
            model_name="Invoice", name="credited_minor", field=fields.BigIntField(default=0)
        ),
        postgres_only(CREATE, DROP),
    ]
