"""The requester gets each public reply by e-mail, over a real SMTP server on loopback."""

import socket
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse

from support import services
from tests.conftest import HTMX, wait_for
from tests.support.helpers import make_ticket

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=default_policy))
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_inbox(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 5},
        }
    }
    yield inbox
    controller.stop()


def test_notify_requester_sends_the_reply_over_smtp(smtp_inbox, accountant, support_user):
    ticket = make_ticket(requester=accountant, subject="PDF missing")
    message = ticket.messages.create(author=support_user, body="Regenerate it now, please.")
    assert services.notify_requester(message) == 1
    recipients, email = smtp_inbox.messages[0]
    assert recipients == [accountant.email]
    assert f"#{ticket.pk}" in email["Subject"]
    body = email.get_body(("plain",)).get_content()
    assert "Regenerate it now, please." in body
    assert ticket.get_absolute_url() in body


def test_an_internal_note_is_never_mailed(smtp_inbox, accountant, support_user):
    ticket = make_ticket(requester=accountant)
    note = ticket.messages.create(author=support_user, body="secret", is_internal=True)
    assert services.notify_requester(note) == 0
    assert smtp_inbox.messages == []


def test_the_accountant_receives_the_agents_reply_by_email(
    smtp_inbox, accountant, support_client, django_capture_on_commit_callbacks
):
    ticket = make_ticket(requester=accountant)
    url = reverse("support:message", args=[ticket.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = support_client.post(
            url, {"kind": "reply", "body": "We fixed the address.", "next_status": "waiting"},
            headers=HTMX,
        )  # fmt: skip
    assert response.status_code == 200
    wait_for(lambda: smtp_inbox.messages, timeout=5)
    _, email = smtp_inbox.messages[0]
    assert "We fixed the address." in email.get_body(("plain",)).get_content()
    with django_capture_on_commit_callbacks(execute=True):
        support_client.post(url, {"kind": "note", "body": "internal only"}, headers=HTMX)
    # Sending is synchronous (the server stores the message before answering 250), so a
    # note wrongly mailed would already be here.
    assert len(smtp_inbox.messages) == 1


def test_an_unreachable_mail_server_does_not_break_the_reply(
    settings, accountant, support_client, django_capture_on_commit_callbacks
):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": _free_port(), "timeout": 2},
        }
    }
    ticket = make_ticket(requester=accountant)
    with django_capture_on_commit_callbacks(execute=True):
        response = support_client.post(
            reverse("support:message", args=[ticket.pk]),
            {"kind": "reply", "body": "Hello", "next_status": "waiting"},
        )
    assert response.status_code == 302
    assert ticket.messages.filter(is_internal=False).count() == 1
