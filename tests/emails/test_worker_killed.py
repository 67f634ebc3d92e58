"""A worker killed while 200 e-mails are being sent: after recovery each is received once."""

from collections import Counter
from datetime import timedelta

import pytest

from activity.services import sweep_stuck_records
from emails import services
from emails.models import EmailMessage
from tests.conftest import wait_for

from .helpers import generated_invoice

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

COUNT = 200
CONCURRENCY = 2


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(
    start_worker, accountant, smtp_server_factory
):
    # A slowish server (each DATA takes 10 ms) so that sends are always in flight.
    server = smtp_server_factory(delay=0.01)
    server.point(accountant.organisation)
    invoice = generated_invoice(accountant.organisation)
    first = start_worker(concurrency=CONCURRENCY, name="doomed")
    for n in range(COUNT):
        services.create_email(
            organisation=accountant.organisation,
            template="invoice",
            context=services.invoice_email_context(invoice),
            language="fr",
            to=[f"client{n}@example.com"],
            invoice=invoice,
        )
    wait_for(lambda: len(server.handler.received) >= COUNT // 4, timeout=60, interval=0.01)

    # Hold every DATA until all pool processes are waiting for the server's reply: no
    # process is then between a 250 and its commit, the window that cannot be closed.
    server.handler.hold = True
    wait_for(lambda: server.handler.in_data == CONCURRENCY, timeout=30, interval=0.005)
    first.kill()
    # The dead client's connections close: the server drops the DATA it was holding.
    wait_for(lambda: server.handler.in_data == 0, timeout=30, interval=0.01)
    server.handler.hold = False
    received_before = len(server.handler.received)
    interrupted = EmailMessage.objects.filter(status=EmailMessage.Status.SENDING).count()
    assert received_before < COUNT
    assert interrupted == CONCURRENCY

    start_worker(concurrency=CONCURRENCY, name="rescuer")
    sweep_stuck_records(older_than=timedelta(0))

    wait_for(
        lambda: EmailMessage.objects.filter(status=EmailMessage.Status.SENT).count() == COUNT,
        timeout=120,
        interval=0.2,
    )
    received = Counter(server.handler.message_ids())
    assert sum(received.values()) == COUNT
    assert [mid for mid, n in received.items() if n > 1] == []
    assert set(received) == set(EmailMessage.objects.values_list("message_id", flat=True))
    assert EmailMessage.objects.filter(tries__outcome="pending").count() == interrupted
