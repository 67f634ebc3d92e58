"""Acceptance: refunds through a real Celery worker and the local Stripe server."""

import os
import signal
import threading
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import CompanySettings
from activity.models import ActivityLog, Event
from refunds import services
from refunds.models import Refund
from tests.conftest import HTMX, wait_for
from tests.factories import UserFactory

from .conftest import paid_invoice
from .stripe_server import GOOD_KEY

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

SETTLED = {Refund.Status.REFUNDED, Refund.Status.FAILED, Refund.Status.UNKNOWN}


def _settled(refund: Refund):
    refund.refresh_from_db()
    return refund.status in SETTLED and refund


def _reached(refund: Refund, status: str):
    refund.refresh_from_db()
    return refund.status == status and refund


def _request(invoice, amount: str, user=None) -> Refund:
    return services.request_refund(
        invoice=invoice, amount=Decimal(amount), reason="Geste commercial", requested_by=user
    )


def test_two_users_clicking_retry_at_once_refund_once(
    celery_worker, stripe_org, stripe_server, accountant
):
    CompanySettings.objects.filter(organisation=stripe_org).update(provider_api_key="sk_bad")
    invoice = paid_invoice(stripe_org, server=stripe_server)
    refund = _request(invoice, "20.00", accountant)
    refund = wait_for(lambda r=refund: _settled(r))
    assert refund.status == Refund.Status.FAILED
    CompanySettings.objects.filter(organisation=stripe_org).update(provider_api_key=GOOD_KEY)
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(UserFactory(organisation=stripe_org, role="accountant"))
        clients.append(client)
    url = reverse("activity:retry", args=["refund", refund.pk])
    barrier = threading.Barrier(2)
    responses = []

    def click(client):
        barrier.wait()
        responses.append(client.post(url, headers=HTMX))

    threads = [threading.Thread(target=click, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    refund = wait_for(lambda: _reached(refund, Refund.Status.REFUNDED))
    assert sorted("nothing was queued again" in r.content.decode() for r in responses) == [
        False,
        True,
    ]
    assert len(stripe_server.refunds) == 1
    assert Refund.objects.get(pk=refund.pk).credit_note.number


def test_an_answer_lost_to_a_client_timeout_is_found_not_sent_again(
    start_worker, stripe_org, stripe_server, accountant
):
    start_worker(name="timeout", extra_env={"REFUNDS_PROVIDER_TIMEOUT_SECONDS": "0.5"})
    invoice = paid_invoice(stripe_org, server=stripe_server)
    stripe_server.delay_after_create = 1.5

    refund = _request(invoice, "20.00", accountant)
    refund = wait_for(lambda: _settled(refund))

    assert refund.status == Refund.Status.REFUNDED, refund.last_error
    assert refund.attempts == 2
    assert stripe_server.posts() == 1
    assert len(stripe_server.refunds) == 1
    assert [r["operation"] for r in refund.provider_responses] == ["create", "lookup"]


def _pool_child_pid(refund: Refund) -> int | None:
    entry = (
        ActivityLog.objects.for_record(refund).filter(event=Event.STARTED).order_by("id").first()
    )
    return int(entry.worker.rsplit(":", 1)[1]) if entry else None


def test_a_worker_killed_after_the_provider_accepted_never_refunds_twice(
    start_worker, stripe_org, stripe_server, accountant
):
    """20 times: the provider creates the refund and holds its answer; the pool process
    that called it is killed; the redelivered task must find the refund, not make one.

    Four at a time (one per pool process): the worker notices a dead pool process only
    every few seconds, so rounds in parallel keep the test short."""
    parallel, rounds = 4, int(os.environ.get("KILL_ROUNDS", 5))
    worker = start_worker(concurrency=parallel, name="kill")
    duplicates = 0
    for _ in range(rounds):
        stall = threading.Event()
        stripe_server.stall_after_create = stall
        invoices = [paid_invoice(stripe_org, server=stripe_server) for _ in range(parallel)]
        refunds = [_request(invoice, "10.00", accountant) for invoice in invoices]

        # every refund exists at the provider, every answer is held
        wait_for(
            lambda batch=invoices: all(
                stripe_server.refunds_for(i.payment_reference) for i in batch
            ),
            timeout=30,
        )
        pids = {_pool_child_pid(refund) for refund in refunds}
        assert None not in pids, worker.log()[-3000:]
        assert len(pids) == parallel, worker.log()[-3000:]
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        stall.set()  # the answers go to dead processes

        for refund, invoice in zip(refunds, invoices, strict=True):
            refund = wait_for(lambda r=refund: _settled(r), timeout=60)
            assert refund.status == Refund.Status.REFUNDED, (
                refund.last_error,
                worker.log()[-3000:],
            )
            assert refund.attempts == 2  # killed once, then found by the lookup
            made = stripe_server.refunds_for(invoice.payment_reference)
            duplicates += len(made) - 1
            assert refund.provider_refund_id == made[0]["id"]
            posts = [k for m, _, k in stripe_server.requests if m == "POST"]
            assert str(refund.idempotency_key) in posts
    assert duplicates == 0
    assert len(stripe_server.refunds) == parallel * rounds
