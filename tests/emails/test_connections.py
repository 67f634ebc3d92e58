"""A burst of messages to one SMTP server shares a connection per worker process, and
every message keeps its own guarantees."""

import select

import pytest

from activity.errors import Unreachable
from emails import connections, sending, services
from emails.models import EmailAttempt, EmailMessage
from tests.conftest import wait_for

from .helpers import generated_invoice

pytestmark = pytest.mark.django_db


def _claimed_email(organisation, number: str) -> EmailMessage:
    """An invoice e-mail as the runner leaves it just before calling the service."""
    message = services.queue_invoice_email(invoice=generated_invoice(organisation, number=number))
    assert message is not None
    EmailMessage.objects.filter(pk=message.pk).update(status="sending", attempts=1)
    message.refresh_from_db()
    return message


def _burst(organisation, count: int, first: int = 1) -> list[EmailMessage]:
    return [_claimed_email(organisation, f"F-2026-{n:06d}") for n in range(first, first + count)]


def test_a_burst_of_messages_to_one_server_uses_one_connection(organisation, smtp_server):
    smtp_server.point(organisation)
    messages = _burst(organisation, 5)

    for message in messages:
        sending.send_email(message=message)

    assert smtp_server.handler.connections == 1
    assert smtp_server.handler.message_ids() == [m.message_id for m in messages]
    for message in messages:
        message.refresh_from_db()
        assert message.status == EmailMessage.Status.SENT
        # Each message has its own attempt, accepted with its own reply.
        attempt = message.tries.get()
        assert attempt.outcome == EmailAttempt.Outcome.ACCEPTED
        assert attempt.reply.endswith(message.provider_message_id)


def test_a_connection_the_server_closed_is_replaced_before_anything_is_sent(
    organisation, smtp_server_factory
):
    # It hangs up on idle clients; long enough that a fresh connection is not dropped
    # before its first command on a loaded machine (0.3 s was, once).
    server = smtp_server_factory(idle_timeout=1.0)
    server.point(organisation)
    first, second = _burst(organisation, 2)
    sending.send_email(message=first)
    ((kept, _),) = connections._kept.values()
    wait_for(lambda: select.select([kept.connection.sock], [], [], 0)[0])  # 421, then EOF

    sending.send_email(message=second)

    assert server.handler.connections == 2
    assert server.handler.message_ids() == [first.message_id, second.message_id]
    assert second.tries.get().outcome == EmailAttempt.Outcome.ACCEPTED


def test_a_connection_is_dropped_after_an_error(organisation, smtp_server_factory):
    server = smtp_server_factory()
    server.point(organisation)
    first, failing, third = _burst(organisation, 3)
    sending.send_email(message=first)
    server.handler.data_replies = ["451 4.3.0 Try again later"]

    with pytest.raises(Unreachable):
        sending.send_email(message=failing)
    sending.send_email(message=third)

    assert server.handler.connections == 2
    assert server.handler.message_ids() == [first.message_id, third.message_id]


def test_a_connection_idle_for_too_long_is_not_used_again(organisation, smtp_server, monkeypatch):
    monkeypatch.setattr(connections, "MAX_IDLE_SECONDS", 0.0)
    smtp_server.point(organisation)

    for message in _burst(organisation, 2):
        sending.send_email(message=message)

    assert smtp_server.handler.connections == 2


def test_messages_to_different_servers_do_not_share_a_connection(
    organisation, other_organisation, smtp_server_factory
):
    one, two = smtp_server_factory(), smtp_server_factory()
    one.point(organisation)
    two.point(other_organisation)

    sending.send_email(message=_claimed_email(organisation, "F-2026-000001"))
    sending.send_email(message=_claimed_email(other_organisation, "F-2026-000002"))
    sending.send_email(message=_claimed_email(organisation, "F-2026-000003"))

    assert (one.handler.connections, two.handler.connections) == (1, 1)
    assert (len(one.handler.received), len(two.handler.received)) == (2, 1)
