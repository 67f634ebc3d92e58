"""The staff report: tickets per category and SLA compliance over 30 days; the admin."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from support import services
from tests.support.helpers import make_ticket

pytestmark = pytest.mark.django_db


def test_the_report_counts_categories_and_compliance(admin_client_org, accountant, support_user):
    now = timezone.now()
    answered = make_ticket(requester=accountant, category="billing", now=now - timedelta(days=3))
    services.add_support_message(
        ticket=answered,
        author=support_user,
        body="ok",
        next_status="waiting",
        now=now - timedelta(days=3),
    )
    make_ticket(requester=accountant, category="billing", now=now - timedelta(days=20))
    make_ticket(requester=accountant, category="emails", now=now - timedelta(days=40))  # too old
    services.mark_breached_tickets()
    response = admin_client_org.get(reverse("support:report"))
    assert response.status_code == 200
    counts = {row["label"]: row["count"] for row in response.context["rows"]}
    assert counts["Billing"] == 2
    assert counts["E-mails"] == 0
    assert response.context["compliance"] == 50.0
    assert response.context["breached"] == 1


def test_the_report_is_for_staff_only(support_client, accountant_client):
    assert support_client.get(reverse("support:report")).status_code == 403
    assert accountant_client.get(reverse("support:report")).status_code == 403


@pytest.mark.parametrize("model", ["ticket", "ticketmessage", "ticketattachment"])
def test_the_admin_lists_support_models(admin_client, accountant, model):
    ticket = make_ticket(requester=accountant)
    ticket.messages.create(author=accountant, body="hello")
    response = admin_client.get(reverse(f"admin:support_{model}_changelist"), {"q": "hello"})
    assert response.status_code == 200
    assert (
        admin_client.get(reverse("admin:support_ticket_change", args=[ticket.pk])).status_code
        == 200
    )
