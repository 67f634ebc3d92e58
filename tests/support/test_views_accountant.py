"""The accountant's Support tab: their own tickets, the form, the public thread."""

import pytest
from django.urls import reverse

from accounts.models import Role
from support import services
from support.models import Ticket
from tests.conftest import HTMX
from tests.factories import UserFactory
from tests.support.helpers import make_ticket

pytestmark = pytest.mark.django_db


def test_the_support_tab_lists_only_the_tickets_the_accountant_opened(
    accountant, accountant_client, organisation
):
    colleague = UserFactory(organisation=organisation, role=Role.ACCOUNTANT)
    mine = make_ticket(requester=accountant, subject="My own question")
    make_ticket(requester=colleague, subject="A colleague question")
    response = accountant_client.get(reverse("support:index"))
    assert response.status_code == 200
    assert mine.subject in response.text
    assert "A colleague question" not in response.text
    assert 'name="subject"' in response.text  # the form is on the tab


def test_the_nav_link_points_to_the_support_tab(accountant_client):
    response = accountant_client.get(reverse("dashboard"))
    assert f'href="{reverse("support:index")}"' in response.text


def test_support_staff_are_sent_to_the_queue(support_client):
    response = support_client.get(reverse("support:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("support:queue")


def test_opening_a_ticket_sets_its_deadline(accountant, accountant_client):
    response = accountant_client.post(
        reverse("support:new"),
        {"subject": "Prefix", "category": "account", "priority": "normal", "description": "How?"},
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == ticket.get_absolute_url()
    assert ticket.requester == accountant
    assert ticket.organisation == accountant.organisation
    assert ticket.due_at is not None
    assert ticket.status == Ticket.Status.OPEN


def test_an_invalid_ticket_shows_the_errors(accountant_client):
    response = accountant_client.post(reverse("support:new"), {"subject": ""})
    assert response.status_code == 200
    assert Ticket.objects.count() == 0
    assert 'class="error"' in response.text


@pytest.mark.parametrize("method", ["put", "delete"])
def test_the_form_refuses_other_methods(accountant_client, method):
    assert getattr(accountant_client, method)(reverse("support:new")).status_code == 405


def test_support_staff_cannot_open_tickets_for_an_organisation(support_client):
    assert support_client.get(reverse("support:new")).status_code == 403


def test_the_ticket_page_shows_public_replies_but_never_internal_notes(
    accountant, accountant_client, support_user
):
    ticket = make_ticket(requester=accountant)
    services.add_support_message(ticket=ticket, author=support_user, body="PUBLIC-ANSWER-42")
    services.add_support_message(
        ticket=ticket, author=support_user, body="INTERNAL-NOTE-17", internal=True
    )
    response = accountant_client.get(ticket.get_absolute_url())
    assert response.status_code == 200
    assert "PUBLIC-ANSWER-42" in response.text
    assert "INTERNAL-NOTE-17" not in response.text
    fragment = accountant_client.post(
        reverse("support:reply", args=[ticket.pk]), {"body": "thanks"}, headers=HTMX
    )
    assert "INTERNAL-NOTE-17" not in fragment.text


def test_a_colleagues_ticket_is_a_404(accountant_client, organisation):
    colleague = UserFactory(organisation=organisation, role=Role.ACCOUNTANT)
    ticket = make_ticket(requester=colleague)
    assert accountant_client.get(ticket.get_absolute_url()).status_code == 404
    response = accountant_client.post(reverse("support:reply", args=[ticket.pk]), {"body": "x"})
    assert response.status_code == 404


def test_another_organisations_ticket_is_a_404(other_accountant_client, accountant):
    ticket = make_ticket(requester=accountant)
    assert other_accountant_client.get(ticket.get_absolute_url()).status_code == 404


def test_a_reply_with_htmx_returns_the_conversation_fragment(accountant, accountant_client):
    ticket = make_ticket(requester=accountant)
    response = accountant_client.post(
        reverse("support:reply", args=[ticket.pk]), {"body": "More details"}, headers=HTMX
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="conversation">')
    assert "More details" in response.text
    assert "<html" not in response.text


def test_a_reply_while_waiting_reopens_the_ticket(accountant, accountant_client, support_user):
    ticket = make_ticket(requester=accountant)
    services.add_support_message(
        ticket=ticket, author=support_user, body="Which one?", next_status="waiting"
    )
    response = accountant_client.post(
        reverse("support:reply", args=[ticket.pk]), {"body": "Invoice 12"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS
    assert ticket.due_at is not None


def test_an_empty_reply_is_refused(accountant, accountant_client):
    ticket = make_ticket(requester=accountant)
    response = accountant_client.post(
        reverse("support:reply", args=[ticket.pk]), {"body": ""}, headers=HTMX
    )
    assert response.status_code == 422
    assert ticket.messages.count() == 0
