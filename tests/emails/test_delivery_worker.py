"""E-mail delivery through a real Celery worker and a real SMTP server on loopback."""

import io

import pypdf
import pytest
from django.urls import reverse

from activity.models import ActivityLog, Alert, Cause, Event
from emails import services
from emails.models import EmailAttempt, EmailMessage
from invoices import services as invoice_services
from invoices.models import Invoice
from tests.conftest import wait_for
from tests.factories import InvoiceFactory

from .conftest import SMTP_PASSWORD, SMTP_USER, free_port
from .helpers import generated_invoice, settled

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_a_generated_invoice_is_emailed_once_with_its_pdf(celery_worker, accountant, smtp_server):
    company = smtp_server.point(accountant.organisation, auto_send_invoices=True)
    invoice = InvoiceFactory(organisation=accountant.organisation, customer__email="paye@client.fr")

    invoice_services.issue_invoice(invoice=invoice, actor=accountant)

    message = wait_for(lambda: EmailMessage.objects.filter(invoice=invoice).first(), timeout=60)
    message = wait_for(lambda: settled(message), timeout=60)
    assert message.status == EmailMessage.Status.SENT, message.last_error
    assert len(smtp_server.handler.received) == 1
    received = smtp_server.handler.received[0]
    invoice.refresh_from_db()
    assert received.rcpt_tos == ["paye@client.fr"]
    assert received.message["Subject"] == message.subject
    assert invoice.number in message.subject
    assert str(company) in message.subject
    assert received.message_id == message.message_id
    [attachment] = list(received.message.iter_attachments())
    assert attachment.get_filename() == f"{invoice.number}.pdf"
    assert attachment.get_content_type() == "application/pdf"
    content = attachment.get_content()
    assert content.startswith(b"%PDF")
    assert len(pypdf.PdfReader(io.BytesIO(content)).pages) >= 1
    assert invoice.status == Invoice.Status.SENT
    assert message.smtp_code == 250
    assert message.provider_message_id == "Q000001"


def test_temporary_refusals_are_retried_until_the_server_accepts(
    celery_worker, accountant, smtp_server
):
    smtp_server.point(accountant.organisation)
    smtp_server.handler.data_replies = ["421 4.3.2 Try again later", "451 4.7.1 Greylisted"]
    invoice = generated_invoice(accountant.organisation)

    message = services.queue_invoice_email(invoice=invoice)

    message = wait_for(lambda: settled(message), timeout=60)
    assert message.status == EmailMessage.Status.SENT
    assert message.attempts == 3
    assert len(smtp_server.handler.received) == 1
    replies = list(message.tries.order_by("number").values_list("code", "outcome"))
    assert replies == [(421, "failed"), (451, "failed"), (250, "accepted")]
    events = list(ActivityLog.objects.for_record(message).values_list("event", flat=True))
    assert events.count(Event.RETRIED) == 2
    assert (
        not Alert.objects.open().filter(object_id=message.pk, process=message.process.name).exists()
    )


def test_a_rejected_recipient_bounces_with_the_servers_text(celery_worker, accountant, smtp_server):
    smtp_server.point(accountant.organisation)
    smtp_server.handler.refuse = {"nobody@client.fr": "550 5.1.1 <nobody@client.fr>: unknown user"}
    invoice = generated_invoice(accountant.organisation, customer__email="nobody@client.fr")

    message = services.queue_invoice_email(invoice=invoice)

    message = wait_for(lambda: settled(message), timeout=60)
    assert message.status == EmailMessage.Status.BOUNCED
    assert message.last_cause == Cause.REFUSED
    assert "550 5.1.1 <nobody@client.fr>: unknown user" in message.last_error
    assert message.attempts == 1
    assert smtp_server.handler.received == []
    assert Alert.objects.open().get(object_id=message.pk, process=message.process.name)


def test_a_refused_connection_is_retried_then_fails_with_an_alert(celery_worker, accountant):
    from accounts.models import CompanySettings

    CompanySettings.objects.filter(organisation=accountant.organisation).update(
        smtp_host="127.0.0.1", smtp_port=free_port()
    )
    invoice = generated_invoice(accountant.organisation)

    message = services.queue_invoice_email(invoice=invoice)

    message = wait_for(lambda: settled(message), timeout=60)
    assert message.status == EmailMessage.Status.FAILED
    assert message.last_cause == Cause.CONNECTIVITY
    assert message.attempts == 3  # MAX_ATTEMPTS in tests
    assert message.last_error_details["service"] == "smtp"
    alert = Alert.objects.open().get(object_id=message.pk, process=message.process.name)
    assert alert.cause == Cause.CONNECTIVITY
    assert invoice.__class__.objects.get(pk=invoice.pk).status == Invoice.Status.GENERATED


def test_a_wrong_password_is_reported_as_wrong_settings(
    celery_worker, accountant, smtp_server_factory
):
    server = smtp_server_factory(auth=True)
    server.point(accountant.organisation, smtp_username=SMTP_USER, smtp_password="wrong")
    invoice = generated_invoice(accountant.organisation)

    message = services.queue_invoice_email(invoice=invoice)

    message = wait_for(lambda: settled(message), timeout=60)
    replies = list(message.tries.values_list("code", "reply"))
    assert message.status == EmailMessage.Status.FAILED, replies
    assert message.last_cause == Cause.WRONG_SETTINGS, (message.last_error, replies)
    assert message.attempts == 1, replies  # wrong settings are not retried
    [setting] = message.last_error_details["settings"]
    assert setting["field"] == "smtp_password"
    assert message.last_error_details["remote"].startswith("535")
    assert message.tries.get().code == 535

    server.point(accountant.organisation, smtp_username=SMTP_USER, smtp_password=SMTP_PASSWORD)
    assert services.queue_invoice_email(invoice=invoice, actor=accountant) is not None
    wait_for(lambda: len(server.handler.received) == 1, timeout=60)


def test_starttls_against_a_server_without_it_names_the_tls_setting(
    celery_worker, accountant, smtp_server
):
    smtp_server.point(accountant.organisation, smtp_use_tls=True)
    invoice = generated_invoice(accountant.organisation)

    message = wait_for(lambda: settled(services.queue_invoice_email(invoice=invoice)))

    assert message.last_cause == Cause.WRONG_SETTINGS
    assert message.last_error_details["settings"][0]["field"] == "smtp_use_tls"


def test_a_customer_without_email_is_missing_data_then_resend_sends_once(
    celery_worker, accountant, accountant_client, smtp_server
):
    smtp_server.point(accountant.organisation)
    invoice = generated_invoice(accountant.organisation, customer__email="")

    message = wait_for(lambda: settled(services.queue_invoice_email(invoice=invoice)))

    assert message.status == EmailMessage.Status.FAILED
    assert message.last_cause == Cause.MISSING_DATA
    [problem] = message.missing_fields
    assert problem["model"] == "customer"
    assert problem["field"] == "email"
    assert problem["fix_url"] == invoice.customer.get_absolute_url()
    assert message.tries.count() == 0  # the server was never contacted
    detail = accountant_client.get(message.get_absolute_url())
    assert invoice.customer.get_absolute_url() in detail.content.decode()

    invoice.customer.email = "fixed@client.fr"
    invoice.customer.save()
    retry = reverse("activity:retry", args=[message.process.name, message.pk])
    assert accountant_client.post(retry).status_code == 302

    message = wait_for(lambda: settled(message), timeout=60)
    assert message.status == EmailMessage.Status.SENT
    assert [r.rcpt_tos for r in smtp_server.handler.received] == [["fixed@client.fr"]]
    assert message.recipients == ["fixed@client.fr"]


def test_a_double_resend_click_sends_one_message(
    celery_worker, accountant, accountant_client, smtp_server
):
    smtp_server.point(accountant.organisation)
    smtp_server.handler.refuse = {"full@client.fr": "550 5.2.2 Mailbox full"}
    invoice = generated_invoice(accountant.organisation, customer__email="full@client.fr")
    message = wait_for(lambda: settled(services.queue_invoice_email(invoice=invoice)))
    assert message.status == EmailMessage.Status.BOUNCED
    smtp_server.handler.refuse = {}

    retry = reverse("activity:retry", args=[message.process.name, message.pk])
    first = accountant_client.post(retry, headers={"HX-Request": "true"})
    second = accountant_client.post(retry, headers={"HX-Request": "true"})

    assert first.status_code == second.status_code == 200
    assert "nothing was queued again" in second.content.decode()
    message = wait_for(lambda: settled(message), timeout=60)
    assert message.status == EmailMessage.Status.SENT
    wait_for(lambda: smtp_server.handler.data_commands >= 1)
    assert len(smtp_server.handler.received) == 1
    assert message.tries.filter(outcome=EmailAttempt.Outcome.ACCEPTED).count() == 1
