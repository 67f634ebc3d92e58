import itertools

from tests.matrix import ACCOUNTANT_PAGE, Row

RECORD = {"anonymous": "login", "accountant": "ok", "support": 403, "admin": "ok"}
NOBODY = {"anonymous": 404, "accountant": 404, "support": 404, "admin": 404}
# Page crawls build every row's record in one organisation: each issued invoice its own number.
_NUMBERS = itertools.count(61)


def _generated_invoice(ctx):
    from tests.factories import InvoiceFactory
    from tests.invoices.helpers import generate_now

    return {"pk": generate_now(InvoiceFactory(organisation=ctx.organisation)).pk}


def _unknown_einvoice(ctx):
    from einvoicing.models import EInvoice
    from tests.factories import InvoiceFactory

    # An invoice issued by the factory, whose transmission's answer was lost.
    number = f"F-2026-{next(_NUMBERS):06d}"
    invoice = InvoiceFactory(organisation=ctx.organisation, number=number)
    einvoice = EInvoice.objects.create(
        organisation=ctx.organisation,
        invoice=invoice,
        tracking_id=f"732829320-{number}",
        status=EInvoice.Status.UNKNOWN,
    )
    return {"pk": einvoice.pk}


def _credit_note(ctx):
    from refunds.credit_notes import credit_invoice
    from tests.factories import InvoiceFactory
    from tests.invoices.helpers import generate_now

    invoice = generate_now(InvoiceFactory(organisation=ctx.organisation))
    return {"pk": credit_invoice(invoice=invoice, reason="Annulée", actor=None).pk}


def _organisation_without_webhook_secret(ctx):
    # The webhook is authenticated by its signature, never by a session: without a
    # secret it does not exist, whoever asks.
    return {"slug": ctx.organisation.slug}


MATRIX = [
    Row("einvoicing:list", ACCOUNTANT_PAGE),
    Row("einvoicing:settings", ACCOUNTANT_PAGE),
    Row("einvoicing:xml", RECORD, make=_generated_invoice),
    Row("einvoicing:panel", RECORD, make=_generated_invoice),
    Row("einvoicing:credit_note_panel", RECORD, make=_credit_note),
    Row("einvoicing:check", RECORD, method="post", make=_unknown_einvoice),
    Row("einvoicing:webhook", NOBODY, method="post", make=_organisation_without_webhook_secret),
]
