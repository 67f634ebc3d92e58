"""Circuit breakers, in-process: a task waits for its service, the probe resumes it once."""

import smtplib
import socket

import pytest
from django.utils import timezone

from activity.errors import Unreachable
from emails.models import EmailMessage
from emails.services import queue_invoice_email
from incidents import circuits
from incidents.models import Circuit, CircuitWait, Incident
from tests.emails.conftest import free_port
from tests.emails.helpers import generated_invoice

pytestmark = pytest.mark.django_db


def _raised_from(cause: BaseException) -> Unreachable:
    try:
        try:
            raise cause
        except BaseException as exc:
            raise Unreachable("smtp", str(exc)) from exc
    except Unreachable as error:
        return error


@pytest.mark.parametrize(
    ("cause", "outage"),
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError("timed out"), True),
        (socket.gaierror(-3, "Temporary failure in name resolution"), True),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
        (smtplib.SMTPDataError(451, b"4.7.1 Greylisted"), False),
        (smtplib.SMTPConnectError(421, b"4.3.2 Too busy"), False),
        (ValueError("not a network failure"), False),
    ],
)
def test_only_a_service_that_does_not_answer_opens_the_circuit(cause, outage):
    assert circuits.is_outage(_raised_from(cause)) is outage


def _running_email(organisation) -> EmailMessage:
    number = f"F-2026-{EmailMessage.objects.count() + 1:06d}"
    message = queue_invoice_email(invoice=generated_invoice(organisation, number=number))
    assert message is not None
    EmailMessage.objects.filter(pk=message.pk).update(
        status=EmailMessage.Status.SENDING, task_id="task-1", attempts=2
    )
    message.refresh_from_db()
    return message


def _park(message: EmailMessage) -> bool:
    return circuits.hold(
        record=message,
        process=message.process.name,
        service="smtp",
        error="smtp unreachable — Connection refused",
        details={"service": "smtp", "error": "Connection refused"},
        task_id="task-1",
    )


def test_a_task_of_a_service_down_waits_without_spending_its_attempt(organisation):
    message = _running_email(organisation)

    assert _park(message) is True

    message.refresh_from_db()
    assert message.status == EmailMessage.Status.QUEUED
    assert message.attempts == 1
    assert message.next_retry_at > timezone.now()  # the sweeper leaves it alone meanwhile
    circuit = Circuit.objects.get(organisation=organisation, service="smtp")
    assert circuit.state == Circuit.State.OPEN
    assert CircuitWait.objects.get().object_id == message.pk
    incident = Incident.objects.get()
    assert (incident.service, incident.affected) == ("smtp", 1)


def test_a_service_without_a_probe_is_retried_as_before(organisation):
    message = _running_email(organisation)

    assert (
        circuits.hold(
            record=message,
            process=message.process.name,
            service="network",
            error="x",
            details={},
            task_id="task-1",
        )
        is False
    )
    message.refresh_from_db()
    assert message.status == EmailMessage.Status.SENDING


def test_the_probe_keeps_the_circuit_open_while_the_server_is_down(organisation):
    message = _running_email(organisation)
    _park(message)
    company = organisation.company_settings
    company.smtp_host, company.smtp_port = "127.0.0.1", free_port()
    company.save()

    assert circuits.probe_open_circuits() == {"closed": 0, "still_open": 1}

    circuit = Circuit.objects.get()
    assert circuit.state == Circuit.State.OPEN
    assert "Connection refused" in circuit.last_probe_error
    assert CircuitWait.objects.count() == 1


def test_the_probe_closes_the_circuit_and_resumes_each_waiting_task_once(
    organisation, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server.point(organisation)
    first, second = _running_email(organisation), _running_email(organisation)
    _park(first), _park(second)

    with django_capture_on_commit_callbacks(execute=True) as sent:
        assert circuits.probe_open_circuits() == {"closed": 1, "still_open": 0}
        assert circuits.probe_open_circuits() == {"closed": 0, "still_open": 0}

    assert len([c for c in sent if c.__qualname__.startswith("resume.")]) == 2
    assert Circuit.objects.get().state == Circuit.State.CLOSED
    assert not CircuitWait.objects.exists()
    for message in (first, second):
        message.refresh_from_db()
        assert (message.status, message.next_retry_at) == (EmailMessage.Status.QUEUED, None)
        assert message.task_id != "task-1"
    incident = Incident.objects.get()
    assert incident.resolved_at is not None
    assert incident.resolved_by is None


def test_a_wait_is_resumed_by_one_of_two_racing_probes(organisation):
    message = _running_email(organisation)
    _park(message)
    wait = CircuitWait.objects.get()

    assert circuits.resume(wait) == 1
    assert circuits.resume(wait) == 0


def test_while_the_circuit_is_open_the_process_tasks_wait_without_trying(organisation):
    message = _running_email(organisation)
    process = message.process.name
    assert circuits.open_circuit_for(organisation_id=organisation.pk, process=process) is None

    _park(message)

    assert circuits.open_circuit_for(organisation_id=organisation.pk, process=message.process.name)
    assert (
        circuits.open_circuit_for(organisation_id=organisation.pk, process="invoice_generation")
        is None
    )
