from tests.matrix import ACCOUNTANT_PAGE, Row

RECORD = {"anonymous": "login", "accountant": "ok", "support": 403, "admin": "ok"}
NOBODY = {"anonymous": 404, "accountant": 404, "support": 404, "admin": 404}


def _generated_invoice(ctx):
    from tests.factories import InvoiceFactory
    from tests.invoices.helpers import generate_now

    return {"pk": generate_now(InvoiceFactory(organisation=ctx.organisation)).pk}


def _unknown_einvoice(ctx):
    from einvoicing.models import EInvoice
    from tests.factories import InvoiceFactory

    invoice = InvoiceFactory(organisation=ctx.organisation, number="F-2026-000001")
    einvoice = EInvoice.objects.create(
        organisation=ctx.organisation,
        invoice=invoice,
        tracking_id="732829320-F-2026-000001",
        status=EInvoice.Status.UNKNOWN,
    )
    return {"pk": einvoice.pk}


def _organisation_without_webhook_secret(ctx):
    # The webhook is authenticated by its signature, never by a session: without a
    # secret it does not exist, whoever asks.
    return {"slug": ctx.organisation.slug}


MATRIX = [
    Row("einvoicing:list", ACCOUNTANT_PAGE),
    Row("einvoicing:settings", ACCOUNTANT_PAGE),
    Row("einvoicing:xml", RECORD, make=_generated_invoice),
    Row("einvoicing:panel", RECORD, make=_generated_invoice),
    Row("einvoicing:check", RECORD, method="post", make=_unknown_einvoice),
    Row("einvoicing:webhook", NOBODY, method="post", make=_organisation_without_webhook_secret),
]
