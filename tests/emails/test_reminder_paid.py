"""A payment reminder is never sent for a paid invoice, even one paid after the reminder
was queued (real SMTP server: nothing reaches it)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from emails import services
from emails.models import EmailMessage
from emails.processes import DELIVERY
from payments.services import record_payment

from .helpers import generated_invoice

pytestmark = pytest.mark.django_db


def _queue_reminder(organisation, settings):
    settings.AUTOMATION_REMINDER_DAYS = [7]
    invoice = generated_invoice(
        organisation, due_date=timezone.localdate() - timedelta(days=10)
    )  # 240 € due
    assert services.queue_overdue_reminders() == 1
    return invoice, EmailMessage.objects.get(invoice=invoice, kind=EmailMessage.Kind.REMINDER)


def _run(message: EmailMessage) -> EmailMessage:
    message.refresh_from_db()
    DELIVERY.task.apply(args=[message.pk], task_id=message.task_id)
    message.refresh_from_db()
    return message


def test_a_reminder_queued_then_paid_is_not_sent(organisation, accountant, smtp_server, settings):
    smtp_server.point(organisation)
    invoice, reminder = _queue_reminder(organisation, settings)
    assert reminder.status == EmailMessage.Status.QUEUED

    record_payment(
        invoice=invoice,
        amount=Decimal("240.00"),
        paid_on=timezone.localdate(),
        actor=accountant,
    )
    reminder = _run(reminder)

    assert reminder.status == EmailMessage.Status.CANCELLED
    assert reminder.sent_at is None
    assert smtp_server.handler.received == []
    assert smtp_server.handler.data_commands == 0


def test_a_reminder_for_a_partly_paid_invoice_is_still_sent(
    organisation, accountant, smtp_server, settings
):
    smtp_server.point(organisation)
    invoice, reminder = _queue_reminder(organisation, settings)
    record_payment(
        invoice=invoice, amount=Decimal("100.00"), paid_on=timezone.localdate(), actor=accountant
    )
    reminder = _run(reminder)
    assert reminder.status == EmailMessage.Status.SENT
    assert len(smtp_server.handler.received) == 1


def test_no_reminder_is_queued_for_a_paid_or_fully_credited_invoice(
    organisation, accountant, settings
):
    from refunds.credit_notes import credit_invoice

    settings.AUTOMATION_REMINDER_DAYS = [7]
    due = timezone.localdate() - timedelta(days=10)
    paid = generated_invoice(organisation, number="F-2026-000001", due_date=due)
    credited = generated_invoice(organisation, number="F-2026-000002", due_date=due)
    record_payment(invoice=paid, amount=Decimal("240"), paid_on=due, actor=accountant)
    credit_invoice(invoice=credited, reason="Annulée", actor=accountant)
    assert services.queue_overdue_reminders() == 0
