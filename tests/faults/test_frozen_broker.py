"""Issue 14, item 5: with the broker frozen (it accepts connections and never answers),
the first request that publishes a task answers within the documented bound
(``BROKER_TIMEOUTS["PUBLISH"]``, 3 s), kombu's retries included; the record stays queued
and is sent by the sweeper once the broker answers again."""

import threading
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from activity import services as activity
from commbilling.celery import app, publish
from invoices.models import Invoice
from invoices.processes import GENERATION
from tests.conftest import wait_for
from tests.factories import InvoiceFactory
from tests.faults.freezable import FreezableProxy

pytestmark = pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis"),
    reason="a frozen Redis needs Redis (CI runs with it)",
)

BOUND = settings.BROKER_TIMEOUTS["PUBLISH"]


def _reset_broker_connections() -> None:
    # Forget the web process's pools of broker connections and producers (kombu's, one
    # per URL), so that the next publish uses the URL configured now.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_proxy():
    """The web process publishes through a proxy in front of the real broker, which the
    test freezes; the workers keep talking to the broker directly."""
    url = urlsplit(settings.CELERY_BROKER_URL)
    proxy = FreezableProxy(url.hostname or "127.0.0.1", url.port or 6379)
    app.conf.broker_write_url = url._replace(netloc=f"127.0.0.1:{proxy.port}").geturl()
    _reset_broker_connections()
    yield proxy
    app.conf.broker_write_url = None
    _reset_broker_connections()
    proxy.close()


def _timed_publish() -> tuple[float, Exception | None]:
    started = time.monotonic()
    try:
        publish("tests.nothing", args=[1])
    except Exception as exc:
        return time.monotonic() - started, exc
    return time.monotonic() - started, None


@pytest.mark.parametrize("pooled", [True, False], ids=["pooled-connection", "new-connection"])
def test_a_publish_to_a_frozen_broker_gives_up_within_the_bound(broker_proxy, pooled):
    if pooled:
        assert _timed_publish()[1] is None  # a connection that worked, kept in the pool
    else:
        _reset_broker_connections()

    broker_proxy.freeze()
    elapsed, error = _timed_publish()
    again, _ = _timed_publish()

    assert error is not None, "nothing can be published to a frozen broker"
    assert elapsed < BOUND, f"the first publish after the freeze took {elapsed:.1f}s"
    assert again < BOUND


def test_a_bulk_publish_to_a_frozen_broker_gives_up_within_the_bound(broker_proxy):
    assert _timed_publish()[1] is None
    broker_proxy.freeze()

    started = time.monotonic()
    sent = activity.send_tasks(
        process=GENERATION.name, tasks=[(n, str(uuid.uuid4())) for n in range(1, 51)]
    )
    elapsed = time.monotonic() - started

    assert sent == 0
    assert elapsed < BOUND, f"a bulk publish after the freeze took {elapsed:.1f}s"


def test_a_connection_the_broker_closed_is_replaced_within_the_same_publish(broker_proxy):
    assert _timed_publish()[1] is None
    broker_proxy.freeze()
    broker_proxy.thaw()  # every connection through the proxy is closed under the pool

    elapsed, error = _timed_publish()

    assert error is None, f"the publish was not retried on a new connection: {error!r}"
    assert elapsed < BOUND


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_first_request_after_a_freeze_answers_within_the_bound_and_the_record_is_sent_later(
    broker_proxy, celery_worker, accountant, accountant_client
):
    warm_up = InvoiceFactory.create(organisation=accountant.organisation)
    accountant_client.post(reverse("invoices:issue", args=[warm_up.pk]))
    wait_for(lambda: Invoice.objects.get(pk=warm_up.pk).status == Invoice.Status.GENERATED)
    invoice = InvoiceFactory.create(organisation=accountant.organisation)
    responses = []

    def issue() -> None:
        try:
            responses.append(accountant_client.post(reverse("invoices:issue", args=[invoice.pk])))
        finally:
            connection.close()

    broker_proxy.freeze()
    started = time.monotonic()
    # In a thread, so that a request hanging on the broker fails the test instead of it.
    request = threading.Thread(target=issue, daemon=True)
    request.start()
    request.join(timeout=3 * BOUND)
    elapsed = time.monotonic() - started

    assert not request.is_alive(), "the request still hangs on the frozen broker"
    assert responses[0].status_code == 302
    assert elapsed < BOUND, f"the first request after the freeze took {elapsed:.1f}s"
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.QUEUED
    wait_for(celery_worker.idle)
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.QUEUED

    broker_proxy.thaw()
    assert activity.sweep_stuck_records(older_than=timedelta(0)) == 1
    invoice = wait_for(
        lambda: Invoice.objects.filter(pk=invoice.pk, status=Invoice.Status.GENERATED).first()
    )
    assert invoice.number
