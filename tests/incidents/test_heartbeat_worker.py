"""Real workers: each stamps its heartbeat; one killed is reported by another."""

import pytest

from incidents.models import Heartbeat, Incident
from tests.conftest import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
FAST = {"HEARTBEAT_SECONDS": "0.5", "HEARTBEAT_STALE_SECONDS": "3"}


def test_a_killed_worker_raises_an_incident_that_a_clean_stop_does_not(start_worker):
    doomed = start_worker(name="doomed", concurrency=1, extra_env=FAST)
    watcher = start_worker(name="watcher", concurrency=1, extra_env=FAST)
    wait_for(lambda: Heartbeat.objects.filter(kind="worker").count() == 2, timeout=30)

    doomed.kill()

    incident = wait_for(lambda: Incident.objects.open().filter(cause="stalled").first(), timeout=30)
    assert incident.organisation is None
    assert incident.details["name"].startswith("doomed-")

    watcher.stop()
    stopped = Heartbeat.objects.get(name__startswith="watcher-")
    assert stopped.stopped_at is not None
    assert Incident.objects.filter(cause="stalled").count() == 1
