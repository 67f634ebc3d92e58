import pytest
from django.urls import reverse

from emails.models import EmailMessage
from tests.conftest import HTMX
from tests.factories import OrganisationFactory

from .helpers import generated_invoice

pytestmark = pytest.mark.django_db


def _message(organisation, **fields) -> EmailMessage:
    defaults = {
        "subject": "Facture F-2026-000042",
        "template": "invoice",
        "recipients": ["client@example.com"],
        "recipient": "client@example.com",
        "body_text": "Bonjour,\nVoici votre facture.",
        "body_html": "<p>Bonjour <script>alert(1)</script></p>",
        "message_id": f"<t{EmailMessage.objects.count()}@example.com>",
    }
    return EmailMessage.objects.create(organisation=organisation, **(defaults | fields))


class TestList:
    def test_it_lists_the_organisations_messages_only(self, accountant_client, accountant):
        mine = _message(accountant.organisation, subject="Mine")
        _message(OrganisationFactory(), subject="Theirs")

        response = accountant_client.get(reverse("emails:list"))

        assert response.status_code == 200
        assert [m.pk for m in response.context["page"].items] == [mine.pk]
        assert "Theirs" not in response.content.decode()

    def test_it_filters_by_status(self, accountant_client, accountant):
        _message(accountant.organisation, status="sent")
        bounced = _message(accountant.organisation, status="bounced")

        response = accountant_client.get(reverse("emails:list"), {"status": "bounced"})

        assert [m.pk for m in response.context["page"].items] == [bounced.pk]

    def test_it_searches_by_recipient_and_by_invoice_number(self, accountant_client, accountant):
        invoice = generated_invoice(accountant.organisation, number="F-2026-000777")
        by_invoice = _message(accountant.organisation, invoice=invoice)
        by_address = _message(accountant.organisation, recipient="paye@client.fr")

        found = accountant_client.get(reverse("emails:list"), {"q": "Paye@Client.fr"})
        assert [m.pk for m in found.context["page"].items] == [by_address.pk]
        found = accountant_client.get(reverse("emails:list"), {"q": "f-2026-000777"})
        assert [m.pk for m in found.context["page"].items] == [by_invoice.pk]

    def test_it_pages_with_a_cursor(self, accountant_client, accountant):
        messages = [_message(accountant.organisation) for _ in range(51)]

        first = accountant_client.get(reverse("emails:list"))
        page = first.context["page"]
        second = accountant_client.get(reverse("emails:list"), {"cursor": page.next_cursor})

        assert len(page.items) == 50
        assert [m.pk for m in second.context["page"].items] == [messages[0].pk]

    def test_htmx_gets_the_results_fragment(self, accountant_client, accountant):
        _message(accountant.organisation)

        response = accountant_client.get(reverse("emails:list"), headers=HTMX)

        content = response.content.decode()
        assert content.lstrip().startswith('<section id="results"')
        assert "<html" not in content


class TestDetail:
    def test_it_shows_the_message_attachments_and_server_replies(
        self, accountant_client, accountant
    ):
        invoice = generated_invoice(accountant.organisation)
        message = _message(
            accountant.organisation,
            invoice=invoice,
            attach_pdf=True,
            status="failed",
            last_cause="refused",
            last_error_details={"service": "smtp", "remote": "550 5.1.1 unknown user"},
        )
        message.tries.create(number=1, outcome="failed", code=550, reply="5.1.1 unknown user")

        response = accountant_client.get(message.get_absolute_url())

        content = response.content.decode()
        assert "Voici votre facture." in content
        assert f"{invoice.number}.pdf" in content
        assert "5.1.1 unknown user" in content
        assert "<script>alert(1)</script>" not in content  # the HTML body is framed, not inlined
        assert reverse("activity:retry", args=[message.process.name, message.pk]) in content
        assert str(message.process.retry_label) in content

    def test_another_organisations_message_is_not_found(self, other_accountant_client, accountant):
        message = _message(accountant.organisation)

        assert other_accountant_client.get(message.get_absolute_url()).status_code == 404

    def test_the_html_body_is_served_sandboxed(self, accountant_client, accountant):
        message = _message(accountant.organisation)

        response = accountant_client.get(reverse("emails:html", args=[message.pk]))

        assert response.status_code == 200
        assert response["Content-Security-Policy"].startswith("sandbox;")
        assert "script-src" not in response["Content-Security-Policy"]


class TestSendInvoice:
    def test_send_queues_one_email_and_a_double_click_queues_nothing_more(
        self, accountant_client, accountant
    ):
        invoice = generated_invoice(accountant.organisation)
        url = reverse("emails:send_invoice", args=[invoice.pk])

        first = accountant_client.post(url)
        second = accountant_client.post(url)

        assert first.status_code == second.status_code == 302
        message = EmailMessage.objects.get(invoice=invoice)
        assert message.status == EmailMessage.Status.QUEUED
        assert message.recipient == invoice.customer.email
        assert message.attach_pdf
        assert message.created_by == accountant

    def test_htmx_gets_the_send_fragment(self, accountant_client, accountant):
        invoice = generated_invoice(accountant.organisation)

        response = accountant_client.post(
            reverse("emails:send_invoice", args=[invoice.pk]), headers=HTMX
        )

        content = response.content.decode()
        assert content.lstrip().startswith(f'<div id="send-invoice-{invoice.pk}"')
        assert invoice.customer.email in content

    def test_an_invoice_without_pdf_is_not_sent(self, accountant_client, accountant):
        from tests.factories import InvoiceFactory

        invoice = InvoiceFactory(organisation=accountant.organisation)

        accountant_client.post(reverse("emails:send_invoice", args=[invoice.pk]))

        assert not EmailMessage.objects.exists()

    def test_wrong_method_role_and_organisation(
        self, accountant_client, support_client, other_accountant_client, accountant
    ):
        invoice = generated_invoice(accountant.organisation)
        url = reverse("emails:send_invoice", args=[invoice.pk])

        assert accountant_client.get(url).status_code == 405
        assert support_client.post(url).status_code == 403
        assert other_accountant_client.post(url).status_code == 404
        assert not EmailMessage.objects.exists()
