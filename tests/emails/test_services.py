import warnings
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils import timezone

from accounts.models import CompanySettings
from activity.errors import WrongSettings
from emails import mailer, sending, services
from emails.backends import EmailBackend as RecordingSMTPBackend
from emails.models import EmailMessage
from invoices import services as invoice_services
from invoices.models import Invoice
from tests.factories import InvoiceFactory

from .helpers import generated_invoice

pytestmark = pytest.mark.django_db


def _claimed(message: EmailMessage) -> EmailMessage:
    """As the runner leaves it just before calling the service."""
    EmailMessage.objects.filter(pk=message.pk).update(status="sending", attempts=1)
    message.refresh_from_db()
    return message


class TestMailer:
    def test_the_organisations_smtp_settings_override_the_platform_without_warnings(
        self, organisation
    ):
        CompanySettings.objects.filter(organisation=organisation).update(
            smtp_host="smtp.example.net", smtp_port=2525, smtp_username="u", smtp_password="p"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            backend = mailer.mailer_for(organisation)

        assert isinstance(backend, RecordingSMTPBackend)
        assert (backend.host, backend.port, backend.username, backend.password) == (
            "smtp.example.net",
            2525,
            "u",
            "p",
        )
        assert backend.timeout == 20  # kept from MAILERS["default"]

    def test_without_own_settings_the_platform_mailer_sends_it(self, organisation, mailoutbox):
        # The test settings make MAILERS["default"] Django's locmem backend.
        message = _claimed(services.queue_invoice_email(invoice=generated_invoice(organisation)))

        sending.send_email(message=message)

        [sent] = mailoutbox
        assert sent.extra_headers["Message-ID"] == message.message_id
        assert sent.attachments[0].filename.endswith(".pdf")
        message.refresh_from_db()
        assert message.status == EmailMessage.Status.SENT
        assert message.smtp_code is None


class TestSendEmail:
    def test_an_unknown_host_names_the_host_setting(self, organisation):
        CompanySettings.objects.filter(organisation=organisation).update(
            smtp_host="no-such-host.invalid"
        )
        message = _claimed(services.queue_invoice_email(invoice=generated_invoice(organisation)))

        with pytest.raises(WrongSettings) as caught:
            sending.send_email(message=message)

        assert caught.value.details["settings"][0]["field"] == "smtp_host"
        assert message.tries.get().outcome == "failed"

    def test_an_accepted_message_is_never_sent_again(self, organisation, smtp_server):
        smtp_server.point(organisation)
        message = _claimed(services.queue_invoice_email(invoice=generated_invoice(organisation)))
        sending.send_email(message=message)
        assert len(smtp_server.handler.received) == 1
        EmailMessage.objects.filter(pk=message.pk).update(status="sending")  # e.g. a takeover

        sending.send_email(message=message)

        assert len(smtp_server.handler.received) == 1
        assert message.tries.count() == 1

    def test_acceptance_marks_the_invoice_sent_and_keeps_the_queue_id(
        self, organisation, smtp_server
    ):
        smtp_server.point(organisation)
        invoice = generated_invoice(organisation)
        message = _claimed(services.queue_invoice_email(invoice=invoice))

        sending.send_email(message=message)

        message.refresh_from_db()
        invoice.refresh_from_db()
        assert message.status == EmailMessage.Status.SENT
        assert (message.smtp_code, message.provider_message_id) == (250, "Q000001")
        assert invoice.status == Invoice.Status.SENT
        assert smtp_server.handler.received[0].message_id == message.message_id


class TestAutomaticSending:
    def test_the_automatic_invoice_email_is_queued_once(self, organisation):
        invoice = generated_invoice(organisation)

        first = services.queue_invoice_email(invoice=invoice)
        second = services.queue_invoice_email(invoice=invoice)

        assert first.pk == second.pk
        assert EmailMessage.objects.count() == 1

    def test_a_second_queueing_leaves_one_message_one_log_entry_and_one_task(
        self, organisation, django_capture_on_commit_callbacks
    ):
        from activity.models import ActivityLog

        invoice = generated_invoice(organisation)
        with django_capture_on_commit_callbacks() as tasks:
            first = services.queue_invoice_email(invoice=invoice)
            second = services.queue_invoice_email(invoice=invoice)

        # Created queued with its task id in one INSERT; the second INSERT broke the unique
        # key inside its savepoint, which dropped its log entry and its task with it.
        assert first.pk == second.pk
        stored = EmailMessage.objects.get()
        assert (stored.status, stored.task_id) == (EmailMessage.Status.QUEUED, first.task_id)
        assert stored.queued_at is not None
        queued = ActivityLog.objects.for_record(stored).filter(event="queued")
        assert [entry.task_id for entry in queued] == [first.task_id]
        assert len(tasks) == 1

    def test_an_explicit_send_after_delivery_queues_a_new_email(self, organisation, accountant):
        invoice = generated_invoice(organisation)
        first = services.queue_invoice_email(invoice=invoice)
        EmailMessage.objects.filter(pk=first.pk).update(status="sent")

        again = services.queue_invoice_email(invoice=invoice, actor=accountant)

        assert again.pk != first.pk
        assert again.message_id != first.message_id

    @pytest.mark.parametrize("auto_send", [True, False])
    def test_generation_queues_the_email_only_when_the_setting_says_so(
        self, organisation, auto_send
    ):
        CompanySettings.objects.filter(organisation=organisation).update(
            auto_send_invoices=auto_send
        )
        invoice = InvoiceFactory(organisation=organisation, status=Invoice.Status.GENERATING)

        invoice_services.generate_invoice(invoice=invoice)

        assert EmailMessage.objects.filter(invoice=invoice).count() == int(auto_send)


class TestReminders:
    def _overdue(self, organisation, days: int, **kwargs) -> Invoice:
        today = timezone.localdate()
        return generated_invoice(
            organisation,
            number=f"F-2026-{days:06d}",
            due_date=today - timedelta(days=days),
            **kwargs,
        )

    def test_each_overdue_invoice_gets_its_step_once(self, organisation, settings):
        settings.AUTOMATION_REMINDER_DAYS = [7, 15, 30]
        week = self._overdue(organisation, 8)
        month = self._overdue(organisation, 40)
        self._overdue(organisation, 3)  # not late enough
        paid = self._overdue(organisation, 9)
        Invoice.objects.filter(pk=paid.pk).update(amount_paid=Decimal("240.00"))

        assert services.queue_overdue_reminders() == 2
        assert services.queue_overdue_reminders() == 0

        steps = dict(
            EmailMessage.objects.filter(kind="reminder").values_list("invoice_id", "reminder_step")
        )
        assert steps == {week.pk: 7, month.pk: 30}
        reminder = EmailMessage.objects.get(invoice=week)
        assert "en retard de paiement" in reminder.subject  # the customer reads French
        assert reminder.attach_pdf

    def test_the_next_step_comes_when_its_delay_is_reached(self, organisation, settings):
        settings.AUTOMATION_REMINDER_DAYS = [7, 15]
        invoice = self._overdue(organisation, 8)
        services.queue_overdue_reminders()

        later = timezone.localdate() + timedelta(days=8)
        assert services.queue_overdue_reminders(today=later) == 1
        assert sorted(invoice.emails.values_list("reminder_step", flat=True)) == [7, 15]

    def test_the_database_refuses_a_second_reminder_for_the_same_step(self, organisation):
        invoice = self._overdue(organisation, 8)
        services.queue_overdue_reminders()
        original = EmailMessage.objects.get(invoice=invoice)

        with pytest.raises(IntegrityError):
            EmailMessage.objects.create(
                organisation=organisation,
                invoice=invoice,
                reminder_step=original.reminder_step,
                subject="x",
                template="reminder",
                message_id="<dup@example.com>",
            )


def test_one_send_through_its_task_costs_a_pinned_number_of_statements(organisation, smtp_server):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from emails.processes import DELIVERY

    smtp_server.point(organisation)
    counts = []
    for number in ("F-2026-000001", "F-2026-000002"):  # the second: nothing left to warm
        invoice = generated_invoice(organisation, number=number)
        message = services.queue_invoice_email(invoice=invoice)
        with CaptureQueriesContext(connection) as queries:
            DELIVERY.task.apply(args=[message.pk], task_id=message.task_id)
        message.refresh_from_db()
        assert message.status == EmailMessage.Status.SENT, message.last_error
        counts.append(len(queries))

    # The claim (one UPDATE that reads the message back, the dashboard's INSERT), the SMTP
    # circuit, the start entry with its label's invoice; the message read once with its
    # customer, invoice, organisation and settings; the attempt written before the first
    # byte; at the 250, in a savepoint: sent (one UPDATE), the attempt's outcome, the
    # invoice Envoyée (one UPDATE), two counters; then the runner's entry and the alert
    # resolution (the service hands back the message as sent: no refresh).
    assert counts[1] <= 16
