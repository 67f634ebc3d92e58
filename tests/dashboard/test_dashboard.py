import pytest
from django.urls import reverse

from activity import services
from emails.models import EmailMessage
from incidents import services as incidents
from invoices.models import Invoice
from invoices.processes import GENERATION
from tests.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

URL = reverse("dashboard")
# User (the session is cached), permissions (2), organisation, counters (2), failed
# records of each process that has some (3 at most), role (top bar), open incidents and
# their latest records (2), batches, the month's payments (one sum). The page and the
# fragment alike: the fragment shows the incidents too.
MAX_QUERIES = 14


def test_the_dashboard_counts_each_process_records_by_status(accountant_client, organisation):
    InvoiceFactory.create_batch(2, organisation=organisation, status="failed")
    InvoiceFactory(organisation=organisation)

    response = accountant_client.get(URL, headers={"Accept-Language": "en"})

    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{reverse("invoices:list")}?status=failed"><span class="n">2</span>' in html
    assert f'href="{reverse("emails:list")}?status=failed"><span class="n">0</span>' in html
    assert f'href="{reverse("refunds:list")}?status=failed"><span class="n">0</span>' in html


def test_the_dashboard_opens_with_the_incidents_of_its_organisation_only(
    accountant_client, organisation, other_organisation
):
    mine = InvoiceFactory(organisation=organisation, number="F-2026-000007")
    theirs = InvoiceFactory(organisation=other_organisation, number="F-2026-000008")
    for invoice in (mine, theirs):
        services.record_failure(
            record=invoice,
            from_statuses=(invoice.status,),
            process="invoice_generation",
            cause="missing_data",
            message="m",
            details={},
            attempt=1,
        )

    html = accountant_client.get(URL).content.decode()
    live = html.split('id="dashboard-live"', 1)[1]

    assert live.index('id="open-incidents"') < live.index('id="to-handle"')
    assert "F-2026-000007" in live.split('id="to-handle"', 1)[0]
    assert "F-2026-000008" not in html


def test_the_dashboard_links_to_all_incidents_when_there_are_more_than_it_lists(
    accountant_client, organisation
):
    for n, invoice in enumerate(InvoiceFactory.create_batch(12, organisation=organisation)):
        incidents.note_failure(
            record=invoice, process=GENERATION.name, cause="internal", details={"error": f"E{n}"}
        )

    html = accountant_client.get(URL, headers={"Accept-Language": "en"}).content.decode()

    section = html.split('id="open-incidents"', 1)[1].split("</section>", 1)[0]
    assert section.count('class="incident ') == 10
    assert f'<a href="{reverse("incidents:list")}">and 2 more incidents</a>' in section


def test_other_organisations_records_are_not_counted(accountant_client, other_organisation):
    InvoiceFactory.create_batch(3, organisation=other_organisation, status="failed")

    html = accountant_client.get(URL).content.decode()

    assert f'href="{reverse("invoices:list")}?status=failed"><span class="n">0</span>' in html


def test_the_dashboard_refuses_post(accountant_client):
    assert accountant_client.post(URL).status_code == 405


def test_the_dashboard_fragment_is_what_htmx_polls(accountant_client):
    response = accountant_client.get(URL, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="dashboard-live"')
    assert 'hx-trigger="every 5s"' in html
    assert "<h1>" not in html


def test_the_kpis_count_today_and_this_month_with_their_amounts(accountant_client, organisation):
    # A draft of 1,200.50 € incl. VAT (1,000.42 + 20 %), then generated, twice.
    for invoice in InvoiceFactory.create_batch(
        2, organisation=organisation, lines=[("Conseil", "1", "1000.42", "20")]
    ):
        Invoice.objects.transition(invoice, to="generated", from_statuses=["draft"])

    html = accountant_client.get(URL, headers={"Accept-Language": "en"}).content.decode()

    row = html.split('data-kpi="invoices_generated"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">2</td><td class="num">2</td>' in row
    amounts = html.split('data-kpi="invoices_generated-amount"', 1)[1].split("</tr>", 1)[0]
    assert amounts.count(">€2,401.00<") == 2


def test_the_amount_collected_is_the_money_received_by_payment_date(
    accountant, accountant_client, organisation
):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from payments import services as payments
    from tests.invoices.helpers import generate_now

    today = timezone.localdate()
    invoice = generate_now(  # issued: 1 200,00 € due
        InvoiceFactory(organisation=organisation, lines=[("Conseil", "1", "1000", "20")])
    )
    assert invoice.number, invoice.last_error
    payments.record_payment(
        invoice=invoice, amount=Decimal("200.50"), paid_on=today, actor=accountant
    )
    earlier = payments.record_payment(
        invoice=invoice,
        amount=Decimal("300.00"),
        paid_on=max(today.replace(day=1), today - timedelta(days=1)),
        actor=accountant,
    )
    cancelled = payments.record_payment(
        invoice=invoice, amount=Decimal("99.00"), paid_on=today, actor=accountant
    )
    payments.cancel_payment(payment=cancelled, actor=accountant, reason="Doublon")

    html = accountant_client.get(URL, headers={"Accept-Language": "en"}).content.decode()

    amounts = html.split('data-kpi="invoices_paid-amount"', 1)[1].split("</tr>", 1)[0]
    today_total = "€500.50" if earlier.date == today else "€200.50"
    assert f'<td class="num">{today_total}</td><td class="num">€500.50</td>' in amounts


def test_to_handle_links_failed_records_and_names_the_customer_blocking_them(
    accountant_client, organisation
):
    customer = CustomerFactory(organisation=organisation, legal_name="Blocking SAS", siren="")
    problem = {
        "model": "customer",
        "object_id": customer.pk,
        "record": customer.legal_name,
        "field": "siren",
        "label": "SIREN",
        "problem": "missing",
        "fix_url": customer.get_absolute_url(),
    }
    InvoiceFactory.create_batch(
        3,
        organisation=organisation,
        customer=customer,
        status="failed",
        last_cause="missing_data",
        last_error_details={"fields": [problem]},
    )

    html = accountant_client.get(URL, headers={"Accept-Language": "en"}).content.decode()

    todo = html.split('id="to-handle"', 1)[1].split("</section>", 1)[0]
    assert f'href="{reverse("invoices:list")}?status=failed"><span class="n">3</span>' in todo
    assert f'<a href="{customer.get_absolute_url()}">Blocking SAS</a>' in todo
    assert "blocks 3 tasks" in todo


def test_the_chart_draws_one_bar_segment_per_day_and_cause(accountant_client, organisation):
    InvoiceFactory.create_batch(
        2, organisation=organisation, status="failed", last_cause="missing_data"
    )
    InvoiceFactory(organisation=organisation, status="failed", last_cause="connectivity")

    html = accountant_client.get(URL, headers={"Accept-Language": "en"}).content.decode()

    svg = html.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
    assert svg.count('<rect class="bar cause-missing_data"') == 1
    assert svg.count('<rect class="bar cause-connectivity"') == 1
    assert "Missing data: 2</title>" in svg
    assert "3 failures in 30 days" in svg


def test_the_dashboard_query_count_does_not_grow_with_the_data(
    accountant_client, organisation, django_assert_max_num_queries
):
    customer = CustomerFactory(organisation=organisation)
    InvoiceFactory.create_batch(
        30, organisation=organisation, customer=customer, status="failed", last_cause="missing_data"
    )
    InvoiceFactory.create_batch(30, organisation=organisation, customer=customer, status="sent")
    for n in range(5):
        EmailMessage.objects.create(
            organisation=organisation, status="failed", message_id=f"<m{n}@example.com>"
        )
    # More open incidents than the bar's drawer lists.
    for n, invoice in enumerate(Invoice.objects.filter(status="failed")[:12]):
        incidents.note_failure(
            record=invoice, process=GENERATION.name, cause="internal", details={"error": f"E{n}"}
        )
    accountant_client.get(URL)  # the session's first page remembers the alert bar's organisation

    with django_assert_max_num_queries(MAX_QUERIES):
        full = accountant_client.get(URL)
    with django_assert_max_num_queries(MAX_QUERIES):
        fragment = accountant_client.get(URL, headers={"HX-Request": "true"})

    assert full.status_code == fragment.status_code == 200
