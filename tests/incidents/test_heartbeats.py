"""Heartbeats: a worker or the scheduler silent for too long raises a platform incident."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import heartbeats, status
from incidents.models import Heartbeat, Incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_heartbeats(settings):
    settings.HEARTBEATS = {"SECONDS": 1.0, "STALE_SECONDS": 60.0}


def _silent(kind: str, name: str, seconds: float) -> Heartbeat:
    heartbeats.stamp(kind=kind, name=name)
    Heartbeat.objects.filter(kind=kind, name=name).update(
        last_seen_at=timezone.now() - timedelta(seconds=seconds)
    )
    return Heartbeat.objects.get(kind=kind, name=name)


def test_a_live_worker_raises_nothing():
    heartbeats.stamp(kind=Heartbeat.Kind.WORKER, name="w1@host")

    assert heartbeats.check_stalls() == 0
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("kind", "headline"),
    [
        (Heartbeat.Kind.WORKER, "Worker w1@host has given no sign of life since"),
        (Heartbeat.Kind.SCHEDULER, "The scheduler has given no sign of life since"),
    ],
)
def test_a_silent_worker_or_scheduler_raises_one_platform_incident(kind, headline):
    from django.utils import translation

    _silent(kind, "w1@host", 120)

    assert heartbeats.check_stalls() == 1
    assert heartbeats.check_stalls() == 1  # checked again: still one incident

    incident = Incident.objects.get()
    assert incident.organisation is None
    assert incident.severity == "critical"
    with translation.override("en"):
        assert incident.headline.startswith(headline)


def test_the_incident_resolves_itself_when_the_heartbeat_comes_back():
    _silent(Heartbeat.Kind.WORKER, "w1@host", 120)
    heartbeats.check_stalls()

    heartbeats.stamp(kind=Heartbeat.Kind.WORKER, name="w1@host")
    heartbeats.check_stalls()

    incident = Incident.objects.get()
    assert incident.resolved_at is not None
    assert incident.resolved_by is None


def test_an_incident_resolved_by_hand_is_not_raised_again_for_the_same_silence(admin_user):
    from incidents.services import resolve_incident

    _silent(Heartbeat.Kind.WORKER, "w1@host", 120)
    heartbeats.check_stalls()
    resolve_incident(incident=Incident.objects.get(), user=admin_user)

    heartbeats.check_stalls()

    assert Incident.objects.count() == 1


def test_a_worker_stopped_cleanly_is_not_a_stall():
    _silent(Heartbeat.Kind.WORKER, "w1@host", 120)
    heartbeats.stopped(kind=Heartbeat.Kind.WORKER, name="w1@host")

    assert heartbeats.check_stalls() == 0


def test_the_status_panel_shows_each_component(organisation):
    from django.utils import translation

    heartbeats.stamp(kind=Heartbeat.Kind.WORKER, name="w1@host")
    _silent(Heartbeat.Kind.WORKER, "w2@host", 120)

    with translation.override("en"):
        panel = status.system_status(organisation)

    rows = {row.name: (row.ok, str(row.state)) for rows in panel.values() for row in rows}
    assert rows["Worker w1@host"] == (True, "Alive")
    assert rows["Worker w2@host"] == (False, "Silent")
    assert rows["Scheduler"] == (False, "No heartbeat received yet")
    assert rows["Database"][0] is True
    assert rows["Message broker"][0] is True
    assert rows["SMTP server"] == (True, "No failure seen")
    with translation.override("fr"):
        _, database = status.system_status(organisation)["infrastructure"]
    assert re.fullmatch(r"\d+,\d ms", str(database.detail)), database.detail  # "3,2 ms"


def test_the_status_page_shows_a_service_that_does_not_answer(accountant_client, organisation):
    from incidents.models import Circuit

    Circuit.objects.create(
        organisation=organisation, service="smtp", state=Circuit.State.OPEN,
        opened_at=timezone.now(), last_error="Connection refused",
    )  # fmt: skip

    content = accountant_client.get("/incidents/status/").content.decode()

    assert "Not answering — 0 tasks waiting" in content
    assert "Connection refused" in content
