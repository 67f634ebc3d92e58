"""The requester gets each public reply by e-mail, queued through the e-mail automation and
sent through the real runner (in-process) to a real SMTP server on loopback."""

import pytest
from django.urls import reverse

from accounts.models import CompanySettings
from emails.models import EmailMessage
from support import services
from tests.conftest import HTMX, run_queued
from tests.emails.conftest import free_port
from tests.support.helpers import make_ticket


@pytest.mark.django_db
def test_notify_requester_queues_the_reply_once(accountant, support_user):
    ticket = make_ticket(requester=accountant, subject="PDF missing")
    message = ticket.messages.create(author=support_user, body="Regenerate it now, please.")

    email = services.notify_requester(message)

    assert email is not None
    assert services.notify_requester(message) == email
    assert EmailMessage.objects.count() == 1
    assert email.status == EmailMessage.Status.QUEUED
    assert email.kind == EmailMessage.Kind.SUPPORT
    assert email.organisation == ticket.organisation
    assert email.related == ticket
    assert email.recipients == [accountant.email]
    assert email.attachment_names == []
    assert f"#{ticket.pk}" in email.subject
    assert "Regenerate it now, please." in email.body_text
    assert ticket.get_absolute_url() in email.body_text
    assert ticket.get_absolute_url() in email.body_html


@pytest.mark.django_db
def test_an_internal_note_is_never_queued(accountant, support_user):
    ticket = make_ticket(requester=accountant)
    note = ticket.messages.create(author=support_user, body="secret", is_internal=True)
    assert services.notify_requester(note) is None
    assert not EmailMessage.objects.exists()


@pytest.mark.django_db
def test_a_broken_mail_server_does_not_hold_up_the_reply(
    accountant, support_client, django_capture_on_commit_callbacks
):
    # The request only queues the e-mail: it never talks to the (closed) server.
    CompanySettings.objects.filter(organisation=accountant.organisation).update(
        smtp_host="127.0.0.1", smtp_port=free_port()
    )
    ticket = make_ticket(requester=accountant)
    with django_capture_on_commit_callbacks(execute=True):
        response = support_client.post(
            reverse("support:message", args=[ticket.pk]),
            {"kind": "reply", "body": "Hello", "next_status": "waiting"},
        )
    assert response.status_code == 302
    assert ticket.messages.filter(is_internal=False).count() == 1
    assert EmailMessage.objects.get().status == EmailMessage.Status.QUEUED


@pytest.mark.django_db(transaction=True)
def test_the_accountant_receives_the_agents_reply_but_never_a_note(
    accountant, support_client, smtp_server
):
    smtp_server.point(accountant.organisation)
    ticket = make_ticket(requester=accountant)
    url = reverse("support:message", args=[ticket.pk])
    received = smtp_server.handler.received

    response = support_client.post(
        url,
        {"kind": "reply", "body": "We fixed the address.", "next_status": "waiting"},
        headers=HTMX,
    )
    assert response.status_code == 200
    run_queued()
    assert len(received) == 1
    note = {"kind": "note", "body": "internal only"}
    assert support_client.post(url, note, headers=HTMX).status_code == 200
    reply = {"kind": "reply", "body": "Second reply.", "next_status": "waiting"}
    assert support_client.post(url, reply, headers=HTMX).status_code == 200
    run_queued()
    assert len(received) == 2

    assert [r.rcpt_tos for r in received] == [[accountant.email]] * 2
    bodies = [r.message.get_body(("plain",)).get_content() for r in received]
    assert "We fixed the address." in bodies[0]
    assert "Second reply." in bodies[1]
    assert not any("internal only" in body for body in bodies)
    assert ticket.messages.filter(is_internal=True).count() == 1
    assert EmailMessage.objects.filter(related_id=ticket.pk).count() == 2


@pytest.mark.django_db
def test_a_reply_is_read_in_the_journal_by_its_requester_only(
    accountant, accountant_client, organisation, support_user
):
    """A ticket is private to the accountant who opened it; its reply e-mail too: a
    colleague of the same organisation finds it neither in the journal nor by its id."""
    from accounts.models import Role
    from tests.conftest import _client_for
    from tests.factories import UserFactory

    ticket = make_ticket(requester=accountant, subject="PDF missing")
    message = ticket.messages.create(author=support_user, body="PRIVATE-REPLY-BODY-123")
    email = services.notify_requester(message)
    colleague = _client_for(UserFactory(organisation=organisation, role=Role.ACCOUNTANT))
    detail = reverse("emails:detail", args=[email.pk])

    mine = accountant_client.get(detail)
    assert mine.status_code == 200
    assert "PRIVATE-REPLY-BODY-123" in mine.content.decode()
    assert f"/emails/{email.pk}/" in accountant_client.get(reverse("emails:list")).content.decode()

    assert colleague.get(detail).status_code == 404
    assert colleague.get(reverse("emails:html", args=[email.pk])).status_code == 404
    journal = colleague.get(reverse("emails:list")).content.decode()
    assert f"/emails/{email.pk}/" not in journal
    assert "PRIVATE-REPLY-BODY-123" not in journal
