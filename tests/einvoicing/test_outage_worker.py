"""The e-invoicing platform stops while transmissions are under way (real worker, the
local platform over HTTP): one incident, the transmissions wait instead of failing, the
platform comes back on its address, the beat's probe resumes them and each e-invoice is
deposited once."""

from threading import Thread

import pytest
from django.conf import settings
from django.utils import translation

from activity.models import Alert
from einvoicing.localplatform import LocalPlatform
from einvoicing.models import EInvoice
from incidents.models import Circuit, CircuitWait, Incident
from incidents.tasks import probe_circuits
from tests.conftest import wait_for
from tests.factories import InvoiceFactory
from tests.invoices.helpers import generate_now

from .conftest import API_KEY

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
COUNT = 6


def _probe() -> None:
    """What beat does every CIRCUIT_PROBE_SECONDS."""
    probe_circuits.apply_async(queue=settings.CELERY_TASK_DEFAULT_QUEUE)


def test_a_platform_outage_holds_the_transmissions_and_each_goes_once_when_it_is_back(
    celery_worker, platform_org, platform_server
):
    port = platform_server.server_address[1]
    platform_server.shutdown()
    platform_server.server_close()

    # Generated in this process; their transmissions go to the worker, which finds the
    # platform down.
    for _ in range(COUNT):
        generate_now(InvoiceFactory.create(organisation=platform_org))
    wait_for(lambda: CircuitWait.objects.count() == COUNT, timeout=60)
    wait_for(celery_worker.idle, timeout=30)
    assert set(EInvoice.objects.values_list("status", flat=True)) == {EInvoice.Status.QUEUED}
    assert not Alert.objects.exists()  # waiting is not failing
    incident = Incident.objects.get()
    assert (incident.service, incident.affected) == ("platform", COUNT)
    with translation.override("en"):
        assert incident.headline.startswith("E-invoicing platform unreachable since ")
    circuit = Circuit.objects.get(organisation=platform_org, service="platform")

    # A probe while it is still down keeps everyone waiting.
    _probe()
    wait_for(lambda: Circuit.objects.get(pk=circuit.pk).last_probe_at is not None, timeout=30)
    assert Circuit.objects.get(pk=circuit.pk).state == Circuit.State.OPEN

    server = LocalPlatform(port=port, api_key=API_KEY)
    Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        _probe()
        wait_for(
            lambda: EInvoice.objects.filter(status=EInvoice.Status.DEPOSITED).count() == COUNT,
            timeout=60,
        )
        wait_for(celery_worker.idle, timeout=30)

        for einvoice in EInvoice.objects.all():
            assert len(server.accepted_flows(einvoice.tracking_id)) == 1
        assert len(server.accepted_flows()) == COUNT
        assert not CircuitWait.objects.exists()
        incident.refresh_from_db()
        assert incident.resolved_at is not None
    finally:
        server.shutdown()
        server.server_close()
