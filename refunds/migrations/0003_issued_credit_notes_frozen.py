"""Issued credit notes are frozen in PostgreSQL too: only the PDF path may be written
(right after rendering); no DELETE; their lines are never updated nor deleted. Existing
credit notes get the parties from their invoice's snapshot."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION credit_note_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'credit note % is issued: it cannot be deleted', OLD.number
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (to_jsonb(NEW) - 'pdf') IS DISTINCT FROM (to_jsonb(OLD) - 'pdf') THEN
        RAISE EXCEPTION 'credit note % is issued: it cannot change', OLD.number
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER credit_note_frozen
    BEFORE UPDATE OR DELETE ON refunds_creditnote
    FOR EACH ROW EXECUTE FUNCTION credit_note_frozen();

CREATE OR REPLACE FUNCTION credit_note_line_frozen() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'lines of an issued credit note cannot change (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER credit_note_line_frozen
    BEFORE UPDATE OR DELETE ON refunds_creditnoteline
    FOR EACH ROW EXECUTE FUNCTION credit_note_line_frozen();
"""

DROP = """
DROP TRIGGER IF EXISTS credit_note_line_frozen ON refunds_creditnoteline;
DROP FUNCTION IF EXISTS credit_note_line_frozen();
DROP TRIGGER IF EXISTS credit_note_frozen ON refunds_creditnote;
DROP FUNCTION IF EXISTS credit_note_frozen();
"""


def backfill_parties(apps, schema_editor):
    CreditNote = apps.get_model("refunds", "CreditNote")
    for note in CreditNote.objects.select_related("invoice"):
        note.seller = note.invoice.seller
        note.buyer = note.invoice.buyer
        note.save(update_fields=["seller", "buyer"])


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0002_credit_notes_as_corrections"),
        ("invoices", "0003_issued_invoices_frozen"),
    ]

    operations = [
        migrations.RunPython(backfill_parties, migrations.RunPython.noop),
        migrations.RunPython(create, drop),
    ]
