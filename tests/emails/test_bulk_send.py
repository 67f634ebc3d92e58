"""Bulk Send of a page of invoices: set-based, each invoice e-mailed once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activity.models import ActivityLog, Event, Trigger
from emails import services
from emails.models import EmailMessage

from .helpers import generated_invoice

pytestmark = pytest.mark.django_db


def _invoices(organisation, count: int, first: int = 1):
    return [
        generated_invoice(organisation, number=f"F-2026-{n:06d}")
        for n in range(first, first + count)
    ]


def test_each_selected_invoice_gets_one_queued_email_with_its_pdf(accountant):
    invoices = _invoices(accountant.organisation, 4)

    count = services.send_invoices(
        organisation=accountant.organisation, invoice_ids=[i.pk for i in invoices], actor=accountant
    )

    assert count == 4
    messages = EmailMessage.objects.order_by("invoice_id")
    assert [m.invoice_id for m in messages] == [i.pk for i in invoices]
    for message, invoice in zip(messages, invoices, strict=True):
        assert message.status == EmailMessage.Status.QUEUED
        assert message.attach_pdf
        assert message.recipients == [invoice.customer.email]
        assert invoice.number in message.subject
        assert message.task_id
    assert len({m.message_id for m in messages}) == 4
    entries = ActivityLog.objects.filter(event=Event.QUEUED)
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(m.pk for m in messages)
    assert set(entries.values_list("trigger", flat=True)) == {Trigger.BATCH}


def test_a_second_click_queues_nothing_while_the_emails_are_on_their_way(accountant):
    ids = [i.pk for i in _invoices(accountant.organisation, 3)]

    services.send_invoices(organisation=accountant.organisation, invoice_ids=ids, actor=accountant)
    again = services.send_invoices(
        organisation=accountant.organisation, invoice_ids=ids, actor=accountant
    )

    assert again == 0
    assert EmailMessage.objects.count() == 3


def _statements_to_send(accountant, count: int, first: int) -> int:
    ids = [i.pk for i in _invoices(accountant.organisation, count, first)]
    with CaptureQueriesContext(connection) as queries:
        services.send_invoices(
            organisation=accountant.organisation, invoice_ids=ids, actor=accountant
        )
    return len(queries)


def test_the_statements_do_not_grow_with_the_number_of_invoices(accountant):
    few = _statements_to_send(accountant, 2, first=1)
    many = _statements_to_send(accountant, 20, first=100)

    assert few == many
    assert many <= 14  # 13, and the dashboard's counters of the new messages (one INSERT)
