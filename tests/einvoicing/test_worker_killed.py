"""A worker killed after the platform accepted a flow, before the answer was recorded:
after recovery the invoice is Déposée and the platform holds exactly one flow."""

import os
import signal
import threading
from datetime import timedelta

import pytest

from activity.models import ActivityLog, Event
from activity.services import sweep_stuck_records
from einvoicing.models import EInvoice
from tests.conftest import wait_for
from tests.factories import InvoiceFactory
from tests.invoices.helpers import generate_now

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

TRIALS = int(os.environ.get("COMMBILLING_EINVOICE_KILL_TRIALS", "20"))


def _queued_einvoices(organisation, count: int) -> list[EInvoice]:
    """Generated in this process; their transmissions wait in the test's queue."""
    return [
        generate_now(InvoiceFactory.create(organisation=organisation)).einvoice
        for _ in range(count)
    ]


def _accepted_and_hanging(server, einvoice: EInvoice) -> int:  # one transmission
    """Wait until the platform accepted the flow (its answer held back) and return the
    pid of the pool process that sent it."""

    def accepted():
        started = ActivityLog.objects.for_record(einvoice).filter(event=Event.STARTED).first()
        return server.accepted_flows(einvoice.tracking_id) and started

    started = wait_for(accepted, timeout=30, interval=0.02)
    return int(started.worker.rsplit(":", 1)[1])


def _deposited(einvoice: EInvoice) -> bool:
    einvoice.refresh_from_db()
    return einvoice.status == EInvoice.Status.DEPOSITED


def _hanging_pids(server, einvoices: list[EInvoice]) -> list[int]:
    """Pool processes whose first attempt the platform accepted and is holding the
    answer of (a requeued message may be served after the next one: any order)."""
    pids = []
    for einvoice in einvoices:
        einvoice.refresh_from_db()
        started = ActivityLog.objects.for_record(einvoice).filter(event=Event.STARTED).first()
        if (
            einvoice.status == EInvoice.Status.TRANSMITTING
            and einvoice.attempts == 1
            and started is not None
            and server.accepted_flows(einvoice.tracking_id)
        ):
            pids.append(int(started.worker.rsplit(":", 1)[1]))
    return pids


def test_pool_processes_killed_after_acceptance_never_duplicate_a_flow(
    start_worker, platform_org, platform_server
):
    platform_server.stall = threading.Event()  # accepted, then the answer never leaves
    einvoices = _queued_einvoices(platform_org, TRIALS)
    worker = start_worker(
        name="einvoice-kill", concurrency=1, extra_env={"CELERY_WORKER_LOST_WAIT": "0.5"}
    )
    killed: set[int] = set()

    def all_deposited_or_one_hanging():
        if all(_deposited(e) for e in einvoices):
            return "done"
        fresh = [pid for pid in _hanging_pids(platform_server, einvoices) if pid not in killed]
        return fresh[0] if fresh else None

    while (found := wait_for(all_deposited_or_one_hanging, timeout=60, interval=0.05)) != "done":
        assert found != worker.process.pid
        os.kill(found, signal.SIGKILL)
        killed.add(found)

    assert len(killed) == TRIALS  # every flow was accepted, then its worker killed
    duplicates = [
        e.tracking_id for e in einvoices if len(platform_server.accepted_flows(e.tracking_id)) != 1
    ]
    assert duplicates == []
    assert len(platform_server.accepted_flows()) == TRIALS
    for einvoice in einvoices:
        einvoice.refresh_from_db()
        assert einvoice.attempts == 2
        (flow,) = platform_server.accepted_flows(einvoice.tracking_id)
        assert einvoice.flow_id == flow["flowId"]
        assert [s.code for s in einvoice.statuses.all()] == ["200"]


def test_a_whole_worker_killed_after_acceptance_is_recovered_by_the_sweeper(
    start_worker, platform_org, platform_server
):
    platform_server.stall = threading.Event()
    (einvoice,) = _queued_einvoices(platform_org, 1)
    doomed = start_worker(name="einvoice-doomed", concurrency=1)

    _accepted_and_hanging(platform_server, einvoice)
    doomed.kill()
    einvoice.refresh_from_db()
    assert einvoice.status == EInvoice.Status.TRANSMITTING

    start_worker(name="einvoice-rescuer", concurrency=1)
    assert sweep_stuck_records(older_than=timedelta(0)) == 1
    wait_for(lambda: _deposited(einvoice), timeout=60, interval=0.05)

    assert len(platform_server.accepted_flows()) == 1
    assert einvoice.flow_id == platform_server.accepted_flows()[0]["flowId"]
