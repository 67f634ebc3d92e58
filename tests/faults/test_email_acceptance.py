"""Issue 14, item 8: a message's acceptance is committed right after the server's 250 to
DATA — before the client says anything else (RSET, NOOP, QUIT) or closes the
connection. A real SMTP server (aiosmtpd) looks in the database when the QUIT arrives,
then hangs or drops the connection instead of answering it."""

import asyncio
import smtplib
from dataclasses import dataclass, field

import pytest
from django.db import close_old_connections, connection

from emails import connections, sending, services
from emails.models import EmailAttempt, EmailMessage
from tests.emails.conftest import (  # noqa: F401 -- fixtures
    RecordingHandler,
    SMTPServer,
    _no_kept_smtp_connections,
    smtp_server_factory,
)
from tests.emails.helpers import generated_invoice

pytestmark = pytest.mark.django_db(transaction=True)


class WorkerKilled(BaseException):
    """The worker process dies: nothing of ours runs after it (not even ``except
    Exception``); only the SMTP connection's own cleanup says QUIT."""


def _status_in_database(message_id: int) -> str:
    try:
        return EmailMessage.objects.values_list("status", flat=True).get(pk=message_id)
    finally:
        close_old_connections()
        connection.close()  # this thread's own connection


@dataclass
class QuitHandler(RecordingHandler):
    on_quit: str = "hang"
    message_pk: int = 0
    status_at_quit: list[str] = field(default_factory=list)

    async def handle_QUIT(self, server, session, envelope):
        # What another process (the sweeper, a second worker) would see at this moment.
        self.status_at_quit.append(await asyncio.to_thread(_status_in_database, self.message_pk))
        if self.on_quit == "drop":
            server.transport.close()  # no reply to QUIT: the connection just ends
        await asyncio.sleep(30)  # hang (cancelled as soon as the client goes away)


@pytest.fixture
def quit_server(smtp_server_factory, settings):  # noqa: F811
    from aiosmtpd.controller import Controller

    from tests.emails.conftest import free_port

    # The client gives up on a server that does not answer its QUIT after 1 s.
    settings.MAILERS = {
        "default": {
            **settings.MAILERS["default"],
            "OPTIONS": {**settings.MAILERS["default"].get("OPTIONS", {}), "timeout": 1},
        }
    }
    started = []

    def start(on_quit: str) -> SMTPServer:
        handler = QuitHandler(on_quit=on_quit)
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        return SMTPServer(handler=handler, port=port, controller=controller)

    yield start
    for controller in started:
        controller.stop()


def _claimed_email(organisation) -> EmailMessage:
    """An invoice e-mail as the runner leaves it just before calling the service."""
    message = services.queue_invoice_email(invoice=generated_invoice(organisation))
    assert message is not None
    EmailMessage.objects.filter(pk=message.pk).update(status="sending", attempts=1)
    message.refresh_from_db()
    return message


@pytest.fixture
def die_after_the_reply_to_data(monkeypatch):
    """The worker dies the moment smtplib has the server's reply to DATA."""
    sendmail = smtplib.SMTP.sendmail

    def sendmail_then_die(self, *args, **kwargs):
        sendmail(self, *args, **kwargs)
        raise WorkerKilled

    monkeypatch.setattr(smtplib.SMTP, "sendmail", sendmail_then_die)


@pytest.mark.parametrize("on_quit", ["hang", "drop"])
def test_the_acceptance_is_committed_before_the_client_says_quit(
    organisation, quit_server, die_after_the_reply_to_data, on_quit
):
    server = quit_server(on_quit)
    server.point(organisation)
    message = _claimed_email(organisation)
    server.handler.message_pk = message.pk

    with pytest.raises(WorkerKilled):
        sending.send_email(message=message)

    # The dying connection said QUIT; the server found the message already accepted.
    assert server.handler.status_at_quit == [EmailMessage.Status.SENT]
    message.refresh_from_db()
    assert message.status == EmailMessage.Status.SENT
    assert message.provider_message_id == "Q000001"
    assert message.tries.get().outcome == EmailAttempt.Outcome.ACCEPTED
    assert server.handler.message_ids() == [message.message_id]


@pytest.mark.parametrize("on_quit", ["hang", "drop"])
def test_a_server_that_hangs_or_drops_on_quit_changes_nothing_of_a_sent_message(
    organisation, quit_server, on_quit
):
    server = quit_server(on_quit)
    server.point(organisation)
    message = _claimed_email(organisation)
    server.handler.message_pk = message.pk

    sending.send_email(message=message)
    connections.close_all()  # the worker process stops: QUIT to its kept connections

    assert server.handler.status_at_quit == [EmailMessage.Status.SENT]
    message.refresh_from_db()
    assert message.status == EmailMessage.Status.SENT
    sending.send_email(message=message)  # a late retry of the same message sends nothing
    assert server.handler.message_ids() == [message.message_id]
