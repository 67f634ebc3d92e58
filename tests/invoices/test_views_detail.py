"""The invoice page: lines, VAT breakdown, PDF preview, history, automation state, readiness."""

from decimal import Decimal

import pytest
from django.urls import reverse

from activity.models import Event
from invoices.models import Invoice
from tests.factories import InvoiceFactory

from .helpers import failed_invoice, generate_now

pytestmark = pytest.mark.django_db


def test_it_shows_lines_vat_breakdown_and_totals(accountant_client, organisation):
    invoice = InvoiceFactory(
        organisation=organisation,
        lines=[("Conseil", "2", "100.00", "20"), ("Livres", "1", "10.00", "5.5")],
    )

    response = accountant_client.get(invoice.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "Conseil" in html
    assert "Livres" in html
    assert [(b["rate"], b["base"], b["vat"]) for b in response.context["breakdown"]] == [
        (Decimal("5.5"), Decimal("10"), Decimal("0.55")),
        (Decimal("20"), Decimal("200"), Decimal("40")),
    ]
    assert "€250.55" in html  # 210 + 40.55


def test_a_ready_draft_says_nothing_blocks_generation(accountant_client, organisation):
    invoice = InvoiceFactory(organisation=organisation)

    response = accountant_client.get(invoice.get_absolute_url())

    assert "Ready: nothing blocks generation." in response.content.decode()
    assert reverse("invoices:issue", args=[invoice.pk]) in response.content.decode()
    assert reverse("invoices:edit", args=[invoice.pk]) in response.content.decode()


def test_a_draft_lists_what_would_block_generation_before_it_fails(accountant_client, organisation):
    organisation.company_settings.siren = ""
    organisation.company_settings.save()
    invoice = InvoiceFactory(organisation=organisation, customer__street="")

    response = accountant_client.get(invoice.get_absolute_url())

    assert [p.field for p in response.context["data_problems"]] == ["street"]
    assert [p.field for p in response.context["settings_problems"]] == ["siren"]
    html = response.content.decode()
    assert "Generation would be blocked" in html
    assert invoice.customer.get_absolute_url() in html
    assert reverse("accounts:company_settings") in html


def test_a_failed_invoice_shows_the_badge_cause_todo_and_regenerate(
    accountant_client, organisation
):
    invoice = failed_invoice(organisation)

    response = accountant_client.get(invoice.get_absolute_url())

    html = response.content.decode()
    assert 'class="badge status-failed"' in html
    assert "Missing data" in html
    assert "Complete these fields" in html
    assert reverse("activity:retry", args=[invoice.process.name, invoice.pk]) in html
    assert ">Regenerate</button>" in html
    assert reverse("invoices:edit", args=[invoice.pk]) not in html


def test_the_history_lists_each_event(accountant_client, organisation, accountant):
    invoice = failed_invoice(organisation)

    response = accountant_client.get(invoice.get_absolute_url())

    assert [e.event for e in response.context["history"]] == [
        Event.FAILED,
        Event.STARTED,
        Event.QUEUED,
    ]


def test_a_generated_invoice_has_a_preview_frame_and_a_download(accountant_client, organisation):
    invoice = generate_now(InvoiceFactory(organisation=organisation))
    assert invoice.status == Invoice.Status.GENERATED

    html = accountant_client.get(invoice.get_absolute_url()).content.decode()

    pdf_url = reverse("invoices:pdf", args=[invoice.pk])
    assert f'<iframe class="pdf-preview" src="{pdf_url}?inline=1"' in html
    assert f'href="{pdf_url}" download' in html


def test_the_pdf_is_inline_for_the_preview_and_an_attachment_otherwise(
    accountant_client, organisation
):
    invoice = generate_now(InvoiceFactory(organisation=organisation))
    url = reverse("invoices:pdf", args=[invoice.pk])

    inline = accountant_client.get(url, {"inline": "1"})
    download = accountant_client.get(url)

    assert inline["Content-Disposition"].startswith("inline")
    assert inline["X-Frame-Options"] == "SAMEORIGIN"
    assert download["Content-Disposition"].startswith("attachment")
    assert f'{invoice.number}.pdf"' in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_there_is_no_pdf_before_generation(accountant_client, organisation):
    invoice = InvoiceFactory(organisation=organisation)
    assert accountant_client.get(reverse("invoices:pdf", args=[invoice.pk])).status_code == 404


def test_a_customer_name_and_notes_are_escaped(accountant_client, organisation):
    invoice = InvoiceFactory(
        organisation=organisation,
        customer__legal_name="<script>alert(1)</script>",
        notes="<img src=x onerror=alert(2)>",
    )

    html = accountant_client.get(invoice.get_absolute_url()).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_detail_rejects_wrong_method(accountant_client, organisation):
    invoice = InvoiceFactory(organisation=organisation)
    assert accountant_client.post(invoice.get_absolute_url()).status_code == 405


def test_the_detail_rejects_support(support_client, organisation):
    invoice = InvoiceFactory(organisation=organisation)
    assert support_client.get(invoice.get_absolute_url()).status_code == 403


def test_another_organisations_invoice_is_404(other_accountant_client, organisation):
    invoice = generate_now(InvoiceFactory(organisation=organisation))
    assert other_accountant_client.get(invoice.get_absolute_url()).status_code == 404
    pdf_url = reverse("invoices:pdf", args=[invoice.pk])
    assert other_accountant_client.get(pdf_url).status_code == 404


def test_a_generated_invoice_offers_to_send_it_by_email(accountant_client, organisation):
    from django.core.files.base import ContentFile

    invoice = InvoiceFactory(organisation=organisation, number="F-2026-000002", status="generated")
    invoice.pdf.save("F-2026-000002.pdf", ContentFile(b"%PDF-1.7"))

    html = accountant_client.get(invoice.get_absolute_url()).content.decode()

    assert f'hx-post="{reverse("emails:send_invoice", args=[invoice.pk])}"' in html
