"""Demo tickets in every state, one linked to a failed invoice (called by seed_demo)."""

import random
from datetime import timedelta

from django.utils import timezone

from accounts.models import Organisation, User
from activity.models import ActivityLog
from invoices.models import Invoice

from . import services
from .models import Ticket


def seed(*, organisation: Organisation, rng: random.Random) -> None:
    requester = User.objects.filter(organisation=organisation, groups__name="Comptable").first()
    agent = User.objects.filter(groups__name="Support").first()
    if requester is None or agent is None:
        return
    now = timezone.now()

    def opened(days_ago: float, **fields) -> Ticket:
        return services.open_ticket(
            organisation=organisation,
            requester=requester,
            now=now - timedelta(days=days_ago),
            **fields,
        )

    failed = (
        Invoice.objects.for_organisation(organisation).filter(status=Invoice.Status.FAILED).first()
    )
    if failed is not None:
        entry = ActivityLog.objects.for_record(failed).filter(event="failed").first()
        context = services.describe_failure(process=failed.process.name, record=failed, entry=entry)
        ticket = opened(
            0.2,
            subject=f"Invoice generation failed: {failed}",
            category=Ticket.Category.BILLING,
            priority=Ticket.Priority.HIGH,
            description="The invoice will not generate; what should I fix?",
            record=failed,
            entry=entry,
            context=context,
        )
        services.add_support_message(
            ticket=ticket,
            author=agent,
            body="Customer address missing: we asked the accountant to complete it.",
            internal=True,
        )

    opened(
        0.05,
        subject="How do I change my invoice prefix?",
        category=Ticket.Category.ACCOUNT,
        description="I would like my invoices to start with FA instead of F.",
    )

    in_progress = opened(
        1,
        subject="E-mail to a customer bounced",
        category=Ticket.Category.EMAILS,
        description="Client reports they never got invoice F-2026-000003.",
    )
    services.assign_ticket(ticket=in_progress, assignee=agent)

    waiting = opened(
        2,
        subject="Refund above the approval threshold",
        category=Ticket.Category.REFUNDS,
        priority=Ticket.Priority.LOW,
        description="Who approves refunds above 500 €?",
    )
    services.add_support_message(
        ticket=waiting,
        author=agent,
        body="An administrator of your organisation approves them. Which refund is it?",
        next_status=Ticket.Status.WAITING,
        now=now - timedelta(days=1.9),
    )

    resolved = opened(
        6,
        subject="VAT rate for books",
        category=Ticket.Category.BILLING,
        description="Which VAT rate applies to technical books?",
    )
    services.add_support_message(
        ticket=resolved,
        author=agent,
        body="5.5 % in France: the demo product already uses it.",
        next_status=Ticket.Status.RESOLVED,
        now=now - timedelta(days=5.9),
    )

    closed = opened(
        12,
        subject="Login locked",
        category=Ticket.Category.OTHER,
        description="I typed my password wrong too many times.",
    )
    services.add_support_message(
        ticket=closed,
        author=agent,
        body="Unlocked.",
        next_status=Ticket.Status.RESOLVED,
        now=now - timedelta(days=11.9),
    )
    services.change_status(ticket=closed, status=Ticket.Status.CLOSED)

    # One ticket nobody answered in time.
    opened(
        8,
        subject="Payment marked twice",
        category=Ticket.Category.BILLING,
        priority=Ticket.Priority.URGENT,
        description="Invoice shows paid twice.",
    )
    services.mark_breached_tickets()
    del rng  # the tickets are the same on every seed
