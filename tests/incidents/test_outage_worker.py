"""The SMTP server stops in the middle of a batch of 200 e-mails (real worker, real SMTP
server): one incident, the tasks wait, the server comes back, each e-mail is sent once
and the incident resolves itself."""

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.utils import translation

from activity.models import Alert, Cause
from emails import services
from emails.models import EmailMessage
from incidents.models import Circuit, CircuitWait, Incident
from incidents.tasks import probe_circuits
from tests.conftest import wait_for
from tests.emails.conftest import RecordingHandler, free_port
from tests.emails.helpers import generated_invoice

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
BATCH = 200


def _probe() -> None:
    """What beat does every CIRCUIT_PROBE_SECONDS."""
    probe_circuits.apply_async(queue=settings.CELERY_TASK_DEFAULT_QUEUE)


@pytest.fixture
def smtp_controllers():
    """SMTP servers the test stops and starts again on the same port."""
    started: list[Controller] = []

    def start(handler: RecordingHandler, port: int) -> Controller:
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        return controller

    yield start
    for controller in started:
        if controller._thread is not None:
            controller.stop()


def test_an_smtp_outage_during_a_batch_is_one_incident_and_every_email_goes_once(
    celery_worker, accountant, smtp_controllers
):
    organisation = accountant.organisation
    handler, port = RecordingHandler(delay=0.01), free_port()
    server = smtp_controllers(handler, port)
    organisation.company_settings.__class__.objects.filter(organisation=organisation).update(
        smtp_host="127.0.0.1", smtp_port=port
    )
    invoices = [
        generated_invoice(organisation, number=f"F-2026-{n:06d}") for n in range(1, BATCH + 1)
    ]

    assert (
        services.send_invoices(
            organisation=organisation, invoice_ids=[i.pk for i in invoices], actor=accountant
        )
        == BATCH
    )
    wait_for(lambda: len(handler.received) >= 20, timeout=60)
    # Stop the server between two acceptances: sessions held in DATA are cut before the
    # server records anything, so no message is both received and unacknowledged.
    handler.hold = True
    wait_for(lambda: handler.in_data >= 1, timeout=10)
    server.stop()
    delivered_before = len(handler.received)

    # Every other e-mail waits for the server, none spends its retries or fails.
    waiting = BATCH - delivered_before
    wait_for(lambda: CircuitWait.objects.count() == waiting, timeout=90)
    wait_for(celery_worker.idle, timeout=30)
    assert EmailMessage.objects.filter(status=EmailMessage.Status.FAILED).count() == 0
    assert not Alert.objects.exists()
    incident = Incident.objects.get()
    assert (incident.cause, incident.service, incident.affected) == (
        Cause.CONNECTIVITY, "smtp", waiting,
    )  # fmt: skip
    with translation.override("en"):
        assert incident.headline.endswith(f" — {waiting} e-mails waiting")
        assert incident.headline.startswith("SMTP server unreachable since ")
    circuit = Circuit.objects.get(organisation=organisation, service="smtp")
    assert circuit.state == Circuit.State.OPEN

    # A probe while the server is still down keeps everyone waiting.
    _probe()
    wait_for(lambda: Circuit.objects.get(pk=circuit.pk).last_probe_at is not None, timeout=30)
    assert Circuit.objects.get(pk=circuit.pk).state == Circuit.State.OPEN

    # The server comes back on the same address; the next probe resumes the batch.
    handler.hold = False
    handler.delay = 0
    smtp_controllers(handler, port)
    _probe()
    wait_for(
        lambda: EmailMessage.objects.filter(status=EmailMessage.Status.SENT).count() == BATCH,
        timeout=120,
    )
    wait_for(celery_worker.idle, timeout=30)

    ids = handler.message_ids()
    assert len(ids) == BATCH
    assert len(set(ids)) == BATCH
    assert set(ids) == set(EmailMessage.objects.values_list("message_id", flat=True))
    assert not CircuitWait.objects.exists()
    incident.refresh_from_db()
    assert incident.resolved_at is not None
    assert incident.resolved_by is None
    assert Circuit.objects.get(pk=circuit.pk).state == Circuit.State.CLOSED
    assert Incident.objects.count() == 1
