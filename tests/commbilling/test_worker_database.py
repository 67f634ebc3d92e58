"""A worker keeps its PostgreSQL connection from task to task, and replaces it when the
server closed it (a restart, pg_terminate_backend) instead of failing the next task."""

import uuid

import pytest
from django.db import connection

from activity.models import ActivityLog, Event
from invoices import services
from invoices.models import Invoice
from tests.conftest import wait_for
from tests.factories import InvoiceFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.postgresql(reason="server-side connections need PostgreSQL"),
]


def _backends(application_name: str) -> set[tuple[int, object]]:
    """The worker's connections to this test database: (pid, start time)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [application_name],
        )
        return set(cursor.fetchall())


def _generate(accountant) -> Invoice:
    invoice = InvoiceFactory.create(organisation=accountant.organisation)
    services.issue_invoice(invoice=invoice, actor=accountant)

    def generated():
        invoice.refresh_from_db()
        return invoice.status == Invoice.Status.GENERATED

    wait_for(generated)
    return invoice


@pytest.fixture
def worker_name(start_worker) -> str:
    # libpq names the worker's connections after PGAPPNAME: they are told apart from the
    # test's own and from any other worker's.
    name = f"cb-test-worker-{uuid.uuid4().hex[:8]}"
    start_worker(
        name="conn", concurrency=1, extra_env={"PGAPPNAME": name, "DB_CONN_MAX_AGE": "600"}
    )
    return name


def test_a_worker_runs_its_tasks_on_one_database_connection(worker_name, accountant):
    _generate(accountant)
    first = _backends(worker_name)
    _generate(accountant)
    _generate(accountant)

    assert len(first) == 1
    assert _backends(worker_name) == first


def test_a_connection_closed_by_the_server_is_replaced_before_the_next_task(
    worker_name, accountant
):
    _generate(accountant)
    before = _backends(worker_name)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [worker_name],
        )
    wait_for(lambda: not _backends(worker_name))

    invoice = _generate(accountant)

    # Succeeded at the first attempt: the dead connection was never used for it.
    assert invoice.attempts == 1
    assert not ActivityLog.objects.for_record(invoice).filter(event=Event.RETRIED).exists()
    after = _backends(worker_name)
    assert len(after) == 1
    assert after != before
