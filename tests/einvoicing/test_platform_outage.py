"""The platform's circuit breaker: while the organisation's platform does not answer,
transmissions wait for it (not failed one by one); its health probe sees it back and each
waiting transmission is sent again once (the local platform stopped, then started)."""

import pytest
from django.utils import timezone

from einvoicing import services
from einvoicing.localplatform import LocalPlatform
from einvoicing.models import EInvoice
from einvoicing.probes import probe_platform
from incidents import circuits
from incidents.models import Circuit, CircuitWait, Incident

from .conftest import API_KEY
from .flows import generated_einvoice, transmit_now

pytestmark = pytest.mark.django_db


def _stop(server: LocalPlatform) -> int:
    port = server.server_address[1]
    server.shutdown()
    server.server_close()
    return port


def _start(port: int) -> LocalPlatform:
    from threading import Thread

    server = LocalPlatform(port=port, api_key=API_KEY)
    Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


@pytest.fixture
def restarted():
    """The platform started again on its port, stopped after the test."""
    servers: list[LocalPlatform] = []

    def start(port: int) -> LocalPlatform:
        servers.append(_start(port))
        return servers[-1]

    yield start
    for server in servers:
        _stop(server)


def test_the_probe_fails_while_the_platform_is_stopped_and_passes_once_it_answers(
    platform_org, platform_server, restarted
):
    port = _stop(platform_server)

    with pytest.raises(Exception, match="connection refused"):
        probe_platform(platform_org)

    restarted(port)
    probe_platform(platform_org)  # answers: no exception


def test_a_refused_api_key_is_an_answer_the_platform_is_up(platform_org, platform_server):
    platform = platform_org.platform_settings
    platform.api_key = "not-the-key"
    platform.save()

    probe_platform(platform_org)


def test_an_organisation_without_a_platform_has_nothing_to_probe(organisation):
    probe_platform(organisation)


def test_transmissions_wait_while_the_platform_is_down_then_resume_once_each(
    platform_org, platform_server, restarted
):
    first = generated_einvoice(platform_org)
    second = generated_einvoice(platform_org)
    port = _stop(platform_server)

    first = transmit_now(first)

    # Not failed: waiting for the platform, its attempt given back.
    assert (first.status, first.attempts) == (EInvoice.Status.QUEUED, 0)
    circuit = Circuit.objects.get(organisation=platform_org, service="platform")
    assert circuit.state == Circuit.State.OPEN
    assert "connection refused" in circuit.last_error
    assert Incident.objects.get().service == "platform"

    # The circuit is open: the next one waits without trying.
    second = transmit_now(second)
    assert (second.status, second.attempts, second.submitted_at) == (
        EInvoice.Status.QUEUED,
        0,
        None,
    )
    assert CircuitWait.objects.count() == 2

    # Still down: the probe keeps the circuit open.
    assert circuits.probe_open_circuits() == {"closed": 0, "still_open": 1}

    server = restarted(port)
    assert circuits.probe_open_circuits() == {"closed": 1, "still_open": 0}

    assert Circuit.objects.get().state == Circuit.State.CLOSED
    assert not CircuitWait.objects.exists()
    assert Incident.objects.get().resolved_at is not None
    for einvoice in (first, second):
        einvoice = transmit_now(einvoice)
        assert einvoice.status == EInvoice.Status.DEPOSITED
        assert len(server.accepted_flows(einvoice.tracking_id)) == 1
    assert len(server.accepted_flows()) == 2


def test_a_lookup_refused_by_a_stopped_platform_waits_too_and_never_sends_twice(
    platform_org, platform_server, restarted
):
    # The worker sent the flow, the platform accepted it, and the worker died before the
    # answer was stored (what transmit_einvoice records before it sends, then the send).
    einvoice = generated_einvoice(platform_org)
    invoice = einvoice.invoice
    EInvoice.objects.filter(pk=einvoice.pk).update(submitted_at=timezone.now())
    with invoice.pdf.open("rb") as stored:
        services.platform_client(invoice).submit(
            tracking_id=einvoice.tracking_id, filename="f.pdf", content=stored.read()
        )
    flows = platform_server.accepted_flows()
    port = _stop(platform_server)

    einvoice = transmit_now(einvoice)

    assert einvoice.status == EInvoice.Status.QUEUED
    assert Circuit.objects.get().state == Circuit.State.OPEN

    server = restarted(port)
    server.flows = {flow["flowId"]: flow for flow in flows}
    circuits.probe_open_circuits()
    einvoice = transmit_now(einvoice)

    assert einvoice.status == EInvoice.Status.DEPOSITED
    assert einvoice.flow_id == flows[0]["flowId"]
    assert [method for method, _path in server.requests].count("POST") == 0
