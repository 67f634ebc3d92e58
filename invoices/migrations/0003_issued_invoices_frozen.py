"""Issued invoices are frozen in the database too (CGI art. 242 nonies A).

Existing issued invoices get their seller/buyer snapshot from the current customer and
company settings (the best record there is of them), then PostgreSQL triggers refuse:
- on invoices_invoice, any UPDATE of an issued row (number set) that changes a column
  outside the bookkeeping ones, and any DELETE of an issued row. The comparison is made on
  the whole row minus the allowed columns, so a column added later is frozen by default;
- on invoices_invoiceline, any INSERT, UPDATE or DELETE of a line of an issued invoice.
The same rules hold in the ORM (invoices.models.Invoice.save); the allowed columns are
Invoice.BOOKKEEPING_FIELDS (a test compares both lists).
"""

from django.db import migrations

BOOKKEEPING_COLUMNS = [
    "amount_credited",
    "amount_paid",
    "amount_refunded",
    "attempts",
    "created_by_id",
    "failed_at",
    "generated_at",
    "last_cause",
    "last_error",
    "last_error_details",
    "next_retry_at",
    "paid_at",
    "payment_reference",
    "pdf",
    "queued_at",
    "started_at",
    "status",
    "task_id",
    "updated_at",
]

CREATE = """
CREATE OR REPLACE FUNCTION invoice_issued_frozen() RETURNS trigger AS $$
DECLARE
    allowed text[] := TG_ARGV;
BEGIN
    IF OLD.number IS NULL THEN
        RETURN COALESCE(NEW, OLD);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'invoice % is issued: it cannot be deleted', OLD.number
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (to_jsonb(NEW) - allowed) IS DISTINCT FROM (to_jsonb(OLD) - allowed) THEN
        RAISE EXCEPTION 'invoice % is issued: its content cannot change (credit note needed)',
            OLD.number USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER invoice_issued_frozen
    BEFORE UPDATE OR DELETE ON invoices_invoice
    FOR EACH ROW EXECUTE FUNCTION invoice_issued_frozen({allowed});

CREATE OR REPLACE FUNCTION invoice_line_issued_frozen() RETURNS trigger AS $$
BEGIN
    IF (TG_OP <> 'INSERT' AND EXISTS (
            SELECT 1 FROM invoices_invoice WHERE id = OLD.invoice_id AND number IS NOT NULL))
       OR (TG_OP <> 'DELETE' AND EXISTS (
            SELECT 1 FROM invoices_invoice WHERE id = NEW.invoice_id AND number IS NOT NULL))
    THEN
        RAISE EXCEPTION 'lines of an issued invoice cannot change (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN COALESCE(NEW, OLD);
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER invoice_line_issued_frozen
    BEFORE INSERT OR UPDATE OR DELETE ON invoices_invoiceline
    FOR EACH ROW EXECUTE FUNCTION invoice_line_issued_frozen();
"""

DROP = """
DROP TRIGGER IF EXISTS invoice_line_issued_frozen ON invoices_invoiceline;
DROP FUNCTION IF EXISTS invoice_line_issued_frozen();
DROP TRIGGER IF EXISTS invoice_issued_frozen ON invoices_invoice;
DROP FUNCTION IF EXISTS invoice_issued_frozen();
"""

SELLER_FIELDS = [
    "legal_name", "legal_form", "share_capital", "street", "postal_code", "city", "country",
    "siren", "siret", "vat_number", "registry", "registry_city", "vat_regime", "vat_on_debits",
    "iban", "bic", "payment_terms_days", "late_penalty_rate", "early_payment_discount",
]  # fmt: skip
BUYER_FIELDS = [
    "legal_name", "contact_name", "customer_type", "street", "postal_code", "city", "country",
    "siren", "siret", "vat_number", "delivery_street", "delivery_postal_code",
    "delivery_city", "delivery_country", "language",
]  # fmt: skip


def _plain(value):
    from decimal import Decimal

    return str(value) if isinstance(value, Decimal) else value


def backfill_snapshots(apps, schema_editor):
    Invoice = apps.get_model("invoices", "Invoice")
    CompanySettings = apps.get_model("accounts", "CompanySettings")
    companies = {c.organisation_id: c for c in CompanySettings.objects.all()}
    for invoice in Invoice.objects.filter(number__isnull=False).select_related("customer"):
        company = companies.get(invoice.organisation_id)
        invoice.seller = (
            {f: _plain(getattr(company, f)) for f in SELLER_FIELDS} if company else {}
        )
        invoice.buyer = {f: _plain(getattr(invoice.customer, f)) for f in BUYER_FIELDS}
        invoice.save(update_fields=["seller", "buyer"])


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        allowed = ", ".join(f"'{column}'" for column in BOOKKEEPING_COLUMNS)
        schema_editor.execute(CREATE.replace("{allowed}", allowed), params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0002_legal_mentions_and_snapshot"),
        ("accounts", "0003_legal_identity"),
    ]

    operations = [
        migrations.RunPython(backfill_snapshots, migrations.RunPython.noop),
        migrations.RunPython(create, drop),
    ]
