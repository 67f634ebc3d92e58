"""Support services: replies move the ticket and its clock; breaches are recorded once."""

from datetime import timedelta

import pytest

from support import services
from support.models import Ticket
from tests.support.helpers import failed_invoice, make_ticket, paris

pytestmark = pytest.mark.django_db


def test_opening_from_a_failure_links_the_record_and_its_log_entry(accountant, organisation):
    invoice, alert = failed_invoice(organisation)
    context = services.describe_failure(
        process="invoice_generation", record=invoice, entry=alert.activity
    )
    ticket = make_ticket(
        requester=accountant, record=invoice, entry=alert.activity, context=context
    )
    assert ticket.record == invoice
    assert ticket.activity == alert.activity
    assert ticket.context["log_id"] == alert.activity_id
    assert ticket.context["cause"] == "missing_data"
    assert ticket.context["message"] == "Customer address is missing."
    assert ticket.context["record_url"] == invoice.get_absolute_url()


def test_the_first_public_reply_records_the_first_response_and_pauses_the_clock(
    accountant, support_user
):
    ticket = make_ticket(requester=accountant, now=paris(2026, 11, 17, 9))
    services.add_support_message(
        ticket=ticket,
        author=support_user,
        body="Which customer?",
        next_status="waiting",
        now=paris(2026, 11, 17, 11),
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at == paris(2026, 11, 17, 11)
    assert ticket.status == Ticket.Status.WAITING
    assert ticket.assignee == support_user
    assert ticket.due_at is None
    assert ticket.business_time_consumed == timedelta(hours=2)


def test_an_internal_note_changes_nothing_for_the_customer(accountant, support_user):
    ticket = make_ticket(requester=accountant, now=paris(2026, 11, 17, 9))
    due = ticket.due_at
    services.add_support_message(ticket=ticket, author=support_user, body="n", internal=True)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.due_at == due


def test_a_customer_reply_while_waiting_reopens_and_resumes_with_what_was_left(
    accountant, support_user
):
    ticket = make_ticket(requester=accountant, now=paris(2026, 11, 17, 9))
    services.add_support_message(
        ticket=ticket,
        author=support_user,
        body="?",
        next_status="waiting",
        now=paris(2026, 11, 17, 13),
    )
    services.add_customer_reply(
        ticket=ticket, author=accountant, body="Client 4", now=paris(2026, 11, 20, 9)
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS  # it has an assignee
    # 20 h left from Friday 9:00: Friday 9, Monday 9, Tuesday 2.
    assert ticket.due_at == paris(2026, 11, 24, 11)


def test_a_customer_reply_reopens_a_resolved_ticket(accountant, support_user):
    ticket = make_ticket(requester=accountant)
    services.add_support_message(
        ticket=ticket, author=support_user, body="Done", next_status="resolved"
    )
    services.add_customer_reply(ticket=ticket, author=accountant, body="Not quite")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS
    assert ticket.resolved_at is None
    assert ticket.due_at is not None


def test_assigning_an_open_ticket_puts_it_in_progress(accountant, support_user):
    ticket = make_ticket(requester=accountant)
    services.assign_ticket(ticket=ticket, assignee=support_user)
    ticket.refresh_from_db()
    assert ticket.assignee == support_user
    assert ticket.status == Ticket.Status.IN_PROGRESS


def test_breaches_are_recorded_once_at_the_deadline(accountant):
    late = make_ticket(requester=accountant, now=paris(2026, 11, 10, 9))
    on_time = make_ticket(requester=accountant, now=paris(2026, 11, 19, 9))
    assert services.mark_breached_tickets(now=paris(2026, 11, 19, 12)) == 1
    assert services.mark_breached_tickets(now=paris(2026, 11, 19, 12)) == 0
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.breached_at == late.due_at
    assert on_time.breached_at is None


def test_a_paused_ticket_is_never_breached(accountant, support_user):
    ticket = make_ticket(requester=accountant, now=paris(2026, 11, 10, 9))
    services.change_status(ticket=ticket, status="waiting", now=paris(2026, 11, 10, 10))
    assert services.mark_breached_tickets(now=paris(2026, 11, 30, 12)) == 0


def test_the_breach_task_is_scheduled(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["support-mark-breached-tickets"]["task"] == "support.mark_breached_tickets"


def test_the_periodic_task_marks_breaches(accountant):
    from support.tasks import mark_breached_tickets

    make_ticket(requester=accountant, now=paris(2026, 1, 5, 9))
    assert mark_breached_tickets.apply().get() == 1


@pytest.mark.parametrize(
    ("language", "explanation", "cause"),
    [
        ("fr", ("Données manquantes ou invalides\u00a0: ", "rue (à renseigner)."),
         "Données manquantes"),
        ("en", ("Missing or invalid data: ", "street (missing)."), "Missing data"),
    ],
)  # fmt: skip
def test_a_ticket_s_failure_reads_in_its_reader_s_language(
    accountant, organisation, language, explanation, cause
):
    from django.utils import translation

    from activity import services as activity_services
    from invoices.services import customer_problems
    from tests.factories import InvoiceFactory

    invoice = InvoiceFactory(organisation=organisation, customer__street="")
    alert = activity_services.record_failure(
        record=invoice,
        from_statuses=(invoice.status,),
        process=invoice.process.name,
        cause="missing_data",
        message="Missing or invalid data — Client: street (missing)",
        details={"fields": [p.as_dict() for p in customer_problems(invoice.customer)]},
        attempt=1,
    )
    with translation.override("en"):  # opened by someone reading English
        context = services.describe_failure(
            process=invoice.process.name, record=invoice, entry=alert.activity
        )
    ticket = make_ticket(
        requester=accountant, record=invoice, entry=alert.activity, context=context
    )

    with translation.override(language):
        shown = ticket.shown_context

    start, end = explanation
    assert shown["explanation"].startswith(start)
    assert shown["explanation"].endswith(end)
    assert shown["cause_label"] == cause
    assert shown["message"] == "Missing or invalid data — Client: street (missing)"  # for staff
