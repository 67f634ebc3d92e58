"""The deadline clock of a ticket: runs, pauses while waiting, resumes, stops."""

from datetime import timedelta

import pytest

from support.models import Ticket
from tests.support.helpers import make_ticket, paris

pytestmark = pytest.mark.django_db


def test_a_new_ticket_is_due_24_business_hours_later(accountant):
    ticket = make_ticket(requester=accountant, now=paris(2026, 11, 20, 17))
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.due_at == paris(2026, 11, 25, 14)
    assert ticket.remaining(paris(2026, 11, 20, 17)) == timedelta(hours=24)


def test_pausing_while_waiting_and_resuming_keeps_the_remaining_budget(accountant):
    ticket = make_ticket(requester=accountant, now=paris(2026, 11, 17, 9))  # Tuesday
    # 5 business hours used, then the ticket waits for the customer over the weekend.
    ticket.set_status(Ticket.Status.WAITING, paris(2026, 11, 17, 14))
    ticket.save()
    assert ticket.due_at is None
    assert ticket.business_time_consumed == timedelta(hours=5)
    assert ticket.remaining(paris(2026, 11, 23, 12)) == timedelta(hours=19)
    # Resumed on Monday 23 at 10:00: 19 hours left → Monday 8 h, Tuesday 9 h, Wednesday 2 h.
    ticket.set_status(Ticket.Status.IN_PROGRESS, paris(2026, 11, 23, 10))
    ticket.save()
    ticket.refresh_from_db()
    assert ticket.due_at == paris(2026, 11, 25, 11)
    assert ticket.remaining(paris(2026, 11, 23, 10)) == timedelta(hours=19)


def test_pausing_twice_adds_up_the_used_time(accountant):
    ticket = make_ticket(requester=accountant, now=paris(2026, 11, 17, 9))
    ticket.set_status(Ticket.Status.WAITING, paris(2026, 11, 17, 11))
    ticket.set_status(Ticket.Status.OPEN, paris(2026, 11, 18, 9))
    ticket.set_status(Ticket.Status.WAITING, paris(2026, 11, 18, 12))
    assert ticket.business_time_consumed == timedelta(hours=5)
    ticket.set_status(Ticket.Status.OPEN, paris(2026, 11, 19, 9))
    # 19 h left: Thursday 9 h, Friday 9 h, then 1 h on Monday.
    assert ticket.due_at == paris(2026, 11, 23, 10)


def test_resolving_stops_the_clock_and_reopening_resumes_it(accountant):
    ticket = make_ticket(requester=accountant, now=paris(2026, 11, 17, 9))
    ticket.set_status(Ticket.Status.RESOLVED, paris(2026, 11, 17, 10))
    assert ticket.resolved_at == paris(2026, 11, 17, 10)
    assert ticket.due_at is None
    assert ticket.reopen(paris(2026, 11, 18, 9))
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.resolved_at is None
    assert ticket.due_at == paris(2026, 11, 20, 14)  # 23 h left


def test_an_open_ticket_is_not_reopened(accountant):
    ticket = make_ticket(requester=accountant, now=paris(2026, 11, 17, 9))
    assert not ticket.reopen(paris(2026, 11, 17, 10))


def test_overdue_and_at_risk(accountant):
    ticket = make_ticket(requester=accountant, now=paris(2026, 11, 17, 9))
    assert ticket.due_at == paris(2026, 11, 19, 15)
    assert not ticket.is_at_risk(paris(2026, 11, 18, 9))
    assert ticket.is_at_risk(paris(2026, 11, 19, 12))
    assert not ticket.is_overdue(paris(2026, 11, 19, 12))
    assert ticket.is_overdue(paris(2026, 11, 19, 16))
    assert ticket.remaining(paris(2026, 11, 19, 16)) == timedelta(hours=-1)


def test_queryset_filters_for_the_queue(accountant):
    late = make_ticket(requester=accountant, now=paris(2026, 11, 10, 9))
    risky = make_ticket(requester=accountant, now=paris(2026, 11, 17, 9))
    fresh = make_ticket(requester=accountant, now=paris(2026, 11, 19, 11))
    now = paris(2026, 11, 19, 12)
    assert set(Ticket.objects.at_risk(now)) == {risky}
    assert set(Ticket.objects.breached(now)) == {late}
    assert set(Ticket.objects.running()) == {late, risky, fresh}
