"""The freeze's one exception: the parties of an issued invoice that nobody received.

An e-invoice the platform rejected (213 Rejetée, 221 Erreur de routage) is deemed never
issued: its buyer or seller identity is corrected and it is sent again under its number
(invoices.services.retake_parties). The trigger of migration 0003 lets ``seller`` and
``buyer`` change only while the transaction-local setting ``invoices.retaking_parties``
is on, which InvoiceQuerySet.retake_parties sets around its single UPDATE. Everything
else stays as 0003 made it.
"""

from django.db import migrations

FUNCTION = """
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
    IF current_setting('invoices.retaking_parties', true) = 'on' THEN
        allowed := allowed || ARRAY['seller', 'buyer'];
    END IF;
    IF (to_jsonb(NEW) - allowed) IS DISTINCT FROM (to_jsonb(OLD) - allowed) THEN
        RAISE EXCEPTION 'invoice % is issued: its content cannot change (credit note needed)',
            OLD.number USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

PREVIOUS = FUNCTION.replace(
    """    IF current_setting('invoices.retaking_parties', true) = 'on' THEN
        allowed := allowed || ARRAY['seller', 'buyer'];
    END IF;
""",
    "",
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS, params=None)


class Migration(migrations.Migration):
    dependencies = [("invoices", "0006_history_names")]

    operations = [migrations.RunPython(forward, backward)]
