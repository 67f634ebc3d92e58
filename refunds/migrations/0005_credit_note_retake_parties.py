"""The freeze's one exception for credit notes, as invoices' 0007 is for invoices: the
parties of an issued credit note that nobody received.

A credit note the e-invoicing platform rejected (213 Rejetée, 221 Erreur de routage) is
deemed never issued, like an invoice: its buyer or seller identity is corrected and it is
sent again under its number (refunds.credit_notes.retake_parties). The trigger of
migration 0003 lets ``seller`` and ``buyer`` change only while the transaction-local
setting ``refunds.retaking_parties`` is on, which CreditNoteQuerySet.retake_parties sets
around its single UPDATE. Everything else stays as 0003 made it.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION credit_note_frozen() RETURNS trigger AS $$
DECLARE
    allowed text[] := ARRAY['pdf'];
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'credit note % is issued: it cannot be deleted', OLD.number
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF current_setting('refunds.retaking_parties', true) = 'on' THEN
        allowed := allowed || ARRAY['seller', 'buyer'];
    END IF;
    IF (to_jsonb(NEW) - allowed) IS DISTINCT FROM (to_jsonb(OLD) - allowed) THEN
        RAISE EXCEPTION 'credit note % is issued: it cannot change', OLD.number
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

PREVIOUS = """
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
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS, params=None)


class Migration(migrations.Migration):
    dependencies = [("refunds", "0004_missing_data_index")]

    operations = [migrations.RunPython(forward, backward)]
