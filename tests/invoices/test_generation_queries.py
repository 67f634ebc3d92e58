"""Generation reads each thing once: the statements of one generation are pinned and do
not grow with the invoice's lines (issue 15: the path at the floor of its reads)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import CompanySettings
from invoices import services
from invoices.models import Invoice
from invoices.processes import GENERATION
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

# The runner's claim (one UPDATE that reads the record back, no SELECT) and its start
# entry; the invoice with its customer, organisation and settings (and e-invoicing's
# platform settings, which its readiness check, the Factur-X's seller address and its
# receiver read), then its lines; the number (on PostgreSQL one statement that locks the
# invoice row, takes the series' next value and stores it: invoices.numbering; elsewhere
# savepoint, invoice row lock, the series' UPDATE … RETURNING, invoice UPDATE, release);
# generated (one UPDATE, which reads back the amount the dashboard adds up) with, in its
# transaction, the runner's success entry and alert resolution (the service hands back the
# invoice as generated: no refresh); the dashboard's counters (an INSERT as the invoice
# starts, another as it is generated).
STATEMENTS = 10 if connection.vendor == "postgresql" else 14


def _statements_to_generate(organisation, actor, lines: int) -> int:
    invoice = InvoiceFactory.create(
        organisation=organisation,
        lines=[(f"Ligne {n}", "1", "10.00", "20") for n in range(lines)],
    )
    services.issue_invoice(invoice=invoice, actor=actor)
    invoice.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        GENERATION.task.apply(args=[invoice.pk], task_id=invoice.task_id)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.GENERATED, invoice.last_error
    return len(queries)


def test_one_generation_costs_a_pinned_number_of_statements_whatever_its_lines(accountant):
    organisation = accountant.organisation
    CompanySettings.objects.filter(organisation=organisation).update(auto_send_invoices=False)
    _statements_to_generate(organisation, accountant, 1)  # the year's series now exists

    one_line = _statements_to_generate(organisation, accountant, 1)
    many_lines = _statements_to_generate(organisation, accountant, 12)

    assert one_line == many_lines
    assert one_line <= STATEMENTS


def test_the_automatic_email_adds_its_own_statements_only(accountant):
    from emails.models import EmailMessage

    organisation = accountant.organisation
    CompanySettings.objects.filter(organisation=organisation).update(auto_send_invoices=True)
    _statements_to_generate(organisation, accountant, 1)

    with_email = _statements_to_generate(organisation, accountant, 1)

    assert EmailMessage.objects.filter(invoice__organisation=organisation).count() == 2

    # Five statements: the message created queued with its task id (one INSERT in a
    # savepoint for its unique key), counted by the dashboard and logged. The receiver
    # reads nothing (the invoice and its settings come with the signal) and locks nothing
    # (the UPDATE to Générée holds the invoice row).
    assert with_email <= STATEMENTS + 5
