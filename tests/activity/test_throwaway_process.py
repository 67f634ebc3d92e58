"""A process declared inside the test suite — model, service, declaration — runs through
the core unchanged: success, missing data, connectivity retries then failure, the alert,
Retry. Nothing in activity/ names it."""

import re
import socket
from collections.abc import Iterator

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import checks
from django.db import connection, models, transaction
from django.urls import reverse
from django.utils import translation

from activity import processes
from activity import services as activity
from activity.errors import FieldProblem, MissingData
from activity.models import ActivityLog, Alert, Cause, Event, TrackedQuerySet, TrackedRecord
from tests.conftest import HTMX

# The table is created and dropped by the test (SQLite cannot alter its schema inside a
# transaction with foreign key checks on).
pytestmark = pytest.mark.django_db(transaction=True)


class ParcelQuerySet(TrackedQuerySet):
    pass


class Parcel(TrackedRecord):
    """A parcel handed to a carrier listening on ``port``."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SHIPPING = "shipping", "Shipping"
        SHIPPED = "shipped", "Shipped"
        FAILED = "failed", "Failed"

    STATUS_QUEUED = Status.QUEUED
    STATUS_RUNNING = Status.SHIPPING
    STATUS_FAILED = Status.FAILED
    RETRYABLE_STATUSES = (Status.FAILED,)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    address = models.CharField(max_length=100, blank=True)
    port = models.PositiveIntegerField(default=0)

    objects = ParcelQuerySet.as_manager()

    class Meta:
        app_label = "throwaway"

    def __str__(self) -> str:
        return f"Parcel #{self.pk}"

    def get_absolute_url(self) -> str:
        return f"/parcels/{self.pk}/"


def ship_parcel(*, parcel: Parcel) -> None:
    """The service: needs an address, then hands the parcel to the carrier's server."""
    if not parcel.address:
        raise MissingData([FieldProblem("parcel", parcel.pk, str(parcel), "address", "address")])
    with socket.create_connection(("127.0.0.1", parcel.port), timeout=2):
        pass
    Parcel.objects.mark_succeeded(parcel, status=Parcel.Status.SHIPPED)


@pytest.fixture(scope="module")
def declared() -> Iterator[processes.Process]:
    process = processes.declare(
        "parcel_shipping",
        label="Parcel shipping",
        model=Parcel,
        execute=lambda parcel: ship_parcel(parcel=parcel),
        list_url_name="activity:log",
        list_title="Parcels",
        support_category="other",
        retry_label="Ship again",
    )
    yield process
    processes.forget("parcel_shipping")


@pytest.fixture
def shipping(declared) -> Iterator[processes.Process]:
    # Its content type is created in this test's transaction, then rolled back.
    ContentType.objects.clear_cache()
    with connection.schema_editor() as editor:
        editor.create_model(Parcel)
    yield declared
    with connection.schema_editor() as editor:
        editor.delete_model(Parcel)
    ContentType.objects.clear_cache()


@pytest.fixture
def carrier() -> Iterator[int]:
    server = socket.create_server(("127.0.0.1", 0))
    yield server.getsockname()[1]
    server.close()


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def _queued(organisation, **fields) -> Parcel:
    parcel = Parcel.objects.create(organisation=organisation, status=Parcel.Status.FAILED, **fields)
    assert activity.queue_record(record=parcel, from_statuses=(Parcel.Status.FAILED,))
    parcel.refresh_from_db()
    return parcel


def _run(process: processes.Process, parcel: Parcel) -> Parcel:
    process.task.apply(args=[parcel.pk], task_id=parcel.task_id)
    parcel.refresh_from_db()
    return parcel


def _events(parcel: Parcel) -> list[str]:
    return list(
        ActivityLog.objects.for_record(parcel).order_by("id").values_list("event", flat=True)
    )


def test_the_declared_process_passes_the_record_contract_check(shipping):
    errors = [e for e in checks.run_checks() if e.id.startswith("activity.")]

    assert errors == []
    assert shipping.task_name == "throwaway.parcel_shipping"
    assert processes.for_model(Parcel) is shipping


def test_a_parcel_ships(shipping, organisation, carrier):
    parcel = _run(shipping, _queued(organisation, address="1 rue de la Paix", port=carrier))

    assert parcel.status == Parcel.Status.SHIPPED
    assert parcel.attempts == 1
    assert _events(parcel) == [Event.QUEUED, Event.STARTED, Event.SUCCEEDED]
    assert ActivityLog.objects.for_record(parcel).first().process == "parcel_shipping"


def test_missing_data_fails_at_once_with_an_alert_naming_the_field(shipping, organisation):
    parcel = _run(shipping, _queued(organisation, address=""))

    assert parcel.status == Parcel.Status.FAILED
    assert parcel.attempts == 1
    assert parcel.last_cause == Cause.MISSING_DATA
    alert = Alert.objects.open().get(object_id=parcel.pk)
    assert alert.process_label == "Parcel shipping"
    assert "address (missing)" in alert.explanation.why
    assert "click Ship again" in alert.explanation.todo


def test_an_unreachable_carrier_is_retried_then_fails_for_connectivity(shipping, organisation):
    parcel = _run(shipping, _queued(organisation, address="1 rue de la Paix", port=_closed_port()))

    assert parcel.status == Parcel.Status.FAILED
    assert parcel.last_cause == Cause.CONNECTIVITY
    assert parcel.attempts == 3  # MAX_ATTEMPTS in tests
    assert _events(parcel).count(Event.RETRIED) == 2
    assert Alert.objects.open().get(object_id=parcel.pk).cause == Cause.CONNECTIVITY
    # Each retry reads as why it failed, then when it is tried again, in the reader's words.
    first = ActivityLog.objects.for_record(parcel).filter(event=Event.RETRIED).earliest("id")
    with translation.override("fr"):
        shown = " ".join(first.display_message.split())
    assert re.fullmatch(
        r"Le réseau est injoignable : connexion refusée : rien n'écoute sur ce port\. "
        r"Nouvelle tentative automatique 2 sur 3 dans 0,\d s\.",
        shown,
    ), shown


def test_retry_after_the_fix_ships_it_once_and_resolves_the_alert(
    shipping, organisation, accountant_client, carrier
):
    parcel = _run(shipping, _queued(organisation, address=""))
    Parcel.objects.filter(pk=parcel.pk).update(address="1 rue de la Paix", port=carrier)
    url = reverse("activity:retry", args=["parcel_shipping", parcel.pk])

    first = accountant_client.post(url, headers=HTMX)
    second = accountant_client.post(url, headers=HTMX)

    assert first.status_code == second.status_code == 200
    assert "nothing was queued again" in second.content.decode()
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.QUEUED
    parcel = _run(shipping, parcel)
    assert parcel.status == Parcel.Status.SHIPPED
    assert parcel.last_cause == ""
    assert not Alert.objects.open().filter(object_id=parcel.pk).exists()


def test_a_service_that_leaves_its_record_running_fails_loudly(shipping, organisation):
    lazy = processes.declare(
        "parcel_lazy_shipping",
        label="Parcel shipping",
        model=Parcel,
        execute=lambda parcel: None,
        list_url_name="activity:log",
        list_title="Parcels",
        support_category="other",
    )

    try:
        parcel = _run(lazy, _queued(organisation, address="1 rue de la Paix"))
    finally:
        processes.forget("parcel_lazy_shipping")

    assert parcel.status == Parcel.Status.FAILED
    assert parcel.last_cause == Cause.INTERNAL
    assert "LeftRunning" in parcel.last_error


def _declared_returning(name: str, execute) -> processes.Process:
    return processes.declare(
        name,
        label="Parcel shipping",
        model=Parcel,
        execute=execute,
        list_url_name="activity:log",
        list_title="Parcels",
        support_category="other",
    )


def _ship_and_hand_back(parcel: Parcel) -> Parcel:
    own = Parcel.objects.get(pk=parcel.pk)
    assert Parcel.objects.mark_succeeded(own, status=Parcel.Status.SHIPPED)
    return own


def test_a_service_that_hands_back_its_record_spares_the_runner_a_read(shipping, organisation):
    from django.test.utils import CaptureQueriesContext

    handing_back = _declared_returning("parcel_handing_back", _ship_and_hand_back)
    parcel = _queued(organisation, address="1 rue de la Paix")
    try:
        with CaptureQueriesContext(connection) as queries:
            handing_back.task.apply(args=[parcel.pk], task_id=parcel.task_id)
    finally:
        processes.forget("parcel_handing_back")

    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.SHIPPED
    assert _events(parcel) == [Event.QUEUED, Event.STARTED, Event.SUCCEEDED]
    # The service's own read only: the runner logs the success with the instance it got.
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "throwaway_parcel"' in q["sql"]]
    assert len([sql for sql in reads if sql.startswith("SELECT")]) == 1


def test_a_record_handed_back_still_running_fails_loudly(shipping, organisation):
    handing_back = _declared_returning(
        "parcel_handing_back_running", lambda parcel: Parcel.objects.get(pk=parcel.pk)
    )
    try:
        parcel = _run(handing_back, _queued(organisation, address="1 rue de la Paix"))
    finally:
        processes.forget("parcel_handing_back_running")

    assert parcel.status == Parcel.Status.FAILED
    assert "LeftRunning" in parcel.last_error


def test_a_record_that_breaks_the_contract_stops_the_start(shipping):
    class Crate(TrackedRecord):
        STATUS_QUEUED = "queued"
        STATUS_RUNNING = "moving"  # not a status of its own
        STATUS_FAILED = "failed"
        RETRYABLE_STATUSES = ("failed",)
        status = models.CharField(max_length=10, choices=[("queued", "q"), ("failed", "f")])

        class Meta:
            app_label = "throwaway"

    processes.declare(
        "crate_moving",
        label="Crate moving",
        model=Crate,
        execute=lambda crate: None,
        list_url_name="activity:log",
        list_title="Crates",
        support_category="other",
    )
    try:
        ids = sorted({e.id for e in checks.run_checks() if e.id.startswith("activity.")})
    finally:
        processes.forget("crate_moving")

    # the running status is not a choice, the manager is not a TrackedQuerySet, no URL
    assert ids == ["activity.E002", "activity.E004", "activity.E006"]


class _WorkerKilled(BaseException):
    """What the runner never catches: the process ends (a kill, an out-of-memory)."""


def _ship_then_die(parcel: Parcel) -> None:
    assert Parcel.objects.mark_succeeded(parcel, status=Parcel.Status.SHIPPED)
    raise _WorkerKilled


def test_a_success_is_logged_with_its_commit_even_if_the_worker_dies_right_after(
    shipping, organisation
):
    dying = _declared_returning("parcel_ship_then_die", _ship_then_die)
    parcel = _queued(organisation, address="1 rue de la Paix")
    try:
        with pytest.raises(_WorkerKilled):
            dying.task.apply(args=[parcel.pk], task_id=parcel.task_id, throw=True)
    finally:
        processes.forget("parcel_ship_then_die")

    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.SHIPPED
    assert _events(parcel) == [Event.QUEUED, Event.STARTED, Event.SUCCEEDED]
    succeeded = ActivityLog.objects.for_record(parcel).get(event=Event.SUCCEEDED)
    assert (succeeded.attempt, succeeded.task_id) == (1, parcel.task_id)
    assert succeeded.duration_ms is not None


def _ship_then_roll_back(parcel: Parcel) -> None:
    with transaction.atomic():
        assert Parcel.objects.mark_succeeded(parcel, status=Parcel.Status.SHIPPED)
        raise RuntimeError("the caller's transaction fails after the change")


def test_a_success_rolled_back_leaves_no_success_entry(shipping, organisation):
    rolled_back = _declared_returning("parcel_ship_roll_back", _ship_then_roll_back)
    try:
        parcel = _run(rolled_back, _queued(organisation, address="1 rue de la Paix"))
    finally:
        processes.forget("parcel_ship_roll_back")

    assert parcel.status == Parcel.Status.FAILED
    assert _events(parcel) == [Event.QUEUED, Event.STARTED, Event.FAILED]


def _ship_by_transition(parcel: Parcel) -> None:
    assert Parcel.objects.transition(
        parcel, to=Parcel.Status.SHIPPED, from_statuses=[Parcel.Status.SHIPPING]
    )


def test_a_service_ending_with_a_transition_is_logged_once_by_the_runner(shipping, organisation):
    by_transition = _declared_returning("parcel_ship_by_transition", _ship_by_transition)
    parcel = _queued(organisation, address="")
    parcel = _run(shipping, parcel)  # fails: no address, with an alert
    assert Alert.objects.open().filter(object_id=parcel.pk).exists()
    Parcel.objects.filter(pk=parcel.pk).update(address="1 rue de la Paix")
    parcel.refresh_from_db()
    assert activity.queue_record(record=parcel, from_statuses=(Parcel.Status.FAILED,))
    parcel.refresh_from_db()
    try:
        parcel = _run(by_transition, parcel)
    finally:
        processes.forget("parcel_ship_by_transition")

    assert parcel.status == Parcel.Status.SHIPPED
    assert _events(parcel)[-2:] == [Event.STARTED, Event.SUCCEEDED]
    assert _events(parcel).count(Event.SUCCEEDED) == 1
    assert not Alert.objects.open().filter(object_id=parcel.pk).exists()
