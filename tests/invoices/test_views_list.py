"""The invoices list: filters, search, whitelisted sorting, capped pagination, htmx."""

from decimal import Decimal

import pytest
from django.urls import reverse

from commbilling.pagination import CappedPaginator
from invoices.models import Invoice
from tests.conftest import HTMX
from tests.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
URL = reverse("invoices:list")


def _numbers(response) -> list[str]:
    return [invoice.number for invoice in response.context["page"]]


def _invoice(organisation, number, total="0", status=Invoice.Status.GENERATED, **kwargs):
    invoice = InvoiceFactory(organisation=organisation, lines=[], **kwargs)
    Invoice.objects.filter(pk=invoice.pk).update(
        number=number, status=status, total_incl_vat=Decimal(total)
    )
    return invoice


def test_it_lists_only_the_organisations_invoices(accountant_client, organisation):
    mine = InvoiceFactory(organisation=organisation)
    InvoiceFactory()  # another organisation's

    response = accountant_client.get(URL)

    assert response.status_code == 200
    assert list(response.context["page"]) == [mine]


def test_it_does_not_query_once_per_row(
    accountant_client, organisation, django_assert_max_num_queries
):
    for _ in range(30):
        InvoiceFactory(organisation=organisation)
    with django_assert_max_num_queries(12):
        response = accountant_client.get(URL)
    assert len(response.context["page"]) == 30


def test_it_filters_failed_invoices(accountant_client, organisation):
    _invoice(organisation, "F-1", status=Invoice.Status.FAILED)
    _invoice(organisation, "F-2")

    response = accountant_client.get(URL, {"status": "failed"})

    assert _numbers(response) == ["F-1"]
    assert '<option value="failed" selected>' in response.content.decode()


def test_an_unknown_status_is_ignored(accountant_client, organisation):
    _invoice(organisation, "F-1", status=Invoice.Status.FAILED)
    _invoice(organisation, "F-2")

    response = accountant_client.get(URL, {"status": "nonsense"})

    assert len(response.context["page"]) == 2


def test_search_matches_a_number_prefix_or_a_customer_name(accountant_client, organisation):
    _invoice(organisation, "F-2026-000123")
    _invoice(organisation, "F-2026-000200")
    _invoice(organisation, "F-2026-000300", customer__legal_name="Boulangerie Martin")

    assert _numbers(accountant_client.get(URL, {"q": "F-2026-0001"})) == ["F-2026-000123"]
    assert _numbers(accountant_client.get(URL, {"q": "F-2026-000200"})) == ["F-2026-000200"]
    assert _numbers(accountant_client.get(URL, {"q": "martin"})) == ["F-2026-000300"]
    assert _numbers(accountant_client.get(URL, {"q": "000123"})) == []  # prefix only


def test_it_sorts_by_total_both_ways(accountant_client, organisation):
    _invoice(organisation, "B", total="30")
    _invoice(organisation, "A", total="10")
    _invoice(organisation, "C", total="20")

    assert _numbers(accountant_client.get(URL, {"sort": "total"})) == ["A", "C", "B"]
    assert _numbers(accountant_client.get(URL, {"sort": "-total"})) == ["B", "C", "A"]
    assert _numbers(accountant_client.get(URL, {"sort": "number"})) == ["A", "B", "C"]


def test_an_unknown_sort_falls_back_to_the_newest_first(accountant_client, organisation):
    _invoice(organisation, "OLD")
    _invoice(organisation, "NEW")

    response = accountant_client.get(URL, {"sort": "customer__password"})

    assert _numbers(response) == ["NEW", "OLD"]
    assert response.context["sort"] == ""


def test_pages_keep_the_filters_in_their_links(accountant_client, organisation):
    for i in range(55):
        _invoice(organisation, f"F-{i:03d}", status=Invoice.Status.FAILED)
    _invoice(organisation, "OTHER")

    first = accountant_client.get(URL, {"status": "failed", "sort": "number"})
    second = accountant_client.get(URL, {"status": "failed", "sort": "number", "page": "2"})

    assert len(first.context["page"]) == 50
    assert _numbers(second) == [f"F-{i:03d}" for i in range(50, 55)]
    html = first.content.decode()
    assert 'href="?status=failed&amp;sort=number&amp;page=2"' in html
    assert 'hx-get="?status=failed&amp;sort=number&amp;page=2"' in html
    assert "Page 1 of 2 · 55 invoices" in html


@pytest.mark.parametrize(
    ("count", "language", "said"),
    [
        (1, "en", "Page 1 of 1 · 1 invoice<"),
        (2, "en", "Page 1 of 1 · 2 invoices<"),
        (1, "fr", "Page 1 sur 1 · 1 facture<"),
        (2, "fr", "Page 1 sur 1 · 2 factures<"),
    ],
)
def test_the_count_agrees_with_its_number(accountant_client, organisation, count, language, said):
    for i in range(count):
        _invoice(organisation, f"F-{i:03d}")

    html = accountant_client.get(URL, headers={"Accept-Language": language}).content.decode()

    assert said in html


def test_an_htmx_request_gets_only_the_results_partial(accountant_client, organisation):
    InvoiceFactory(organisation=organisation)

    response = accountant_client.get(URL, {"status": "draft"}, headers=HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html
    assert 'method="get"' not in html  # the filter form stays outside the swapped part


def test_generated_invoices_can_be_selected_for_a_bulk_send(accountant_client, organisation):
    from django.core.files.base import ContentFile

    generated = InvoiceFactory(organisation=organisation, number="F-2026-000001")
    generated.pdf.save("F-2026-000001.pdf", ContentFile(b"%PDF-1.7"))
    draft = InvoiceFactory(organisation=organisation)

    html = accountant_client.get(URL).content.decode()

    assert f'action="{reverse("batches:send_invoices")}"' in html
    assert f'name="ids" value="{generated.pk}"' in html
    assert f'name="ids" value="{draft.pk}"' not in html  # nothing to send yet


def test_the_filter_form_swaps_the_results_and_links_keep_their_href(
    accountant_client, organisation
):
    InvoiceFactory(organisation=organisation)

    html = accountant_client.get(URL).content.decode()

    assert 'hx-target="#results"' in html
    assert 'href="?sort=number"' in html
    assert 'hx-get="?sort=number"' in html


def test_a_customer_name_is_escaped(accountant_client, organisation):
    InvoiceFactory(organisation=organisation, customer__legal_name="<script>alert(1)</script>")

    html = accountant_client.get(URL).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_search_text_is_escaped_back_into_the_form(accountant_client):
    html = accountant_client.get(URL, {"q": '"><script>x()</script>'}).content.decode()
    assert "<script>x()</script>" not in html


def test_the_count_stops_at_the_cap(organisation):
    customer = CustomerFactory(organisation=organisation)
    Invoice.objects.bulk_create(
        [Invoice(organisation=organisation, customer=customer) for _ in range(30)]
    )
    paginator = CappedPaginator(Invoice.objects.order_by("-id"), 10, cap=20)

    assert paginator.capped
    assert paginator.num_pages == 2
    assert len(paginator.get_page(2)) == 10
