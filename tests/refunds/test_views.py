"""The Remboursements tab: list, detail, request form, approve, confirm, cancel, PDF."""

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections
from django.test import Client
from django.urls import reverse

from accounts.models import CompanySettings
from activity.models import Event
from refunds import services
from refunds.models import Refund
from tests.conftest import HTMX
from tests.factories import UserFactory

from .conftest import paid_invoice
from .helpers import run_now
from .matrix import _refund, _with_credit_note

pytestmark = pytest.mark.django_db


class Ctx:
    def __init__(self, organisation):
        self.organisation = organisation


# --- list -------------------------------------------------------------------------


def test_the_list_filters_by_status_and_searches(accountant_client, organisation):
    ctx = Ctx(organisation)
    failed = _refund(ctx, status="failed")
    refunded = _refund(ctx, status="refunded")

    response = accountant_client.get(reverse("refunds:list"), {"status": "failed"})

    assert response.status_code == 200
    assert failed in response.context["page"].items
    assert refunded not in response.context["page"].items
    response = accountant_client.get(reverse("refunds:list"), {"q": refunded.invoice.number})
    assert list(response.context["page"].items) == [refunded]


def test_the_list_is_paginated_by_keyset(accountant_client, organisation):
    ctx = Ctx(organisation)
    refunds = [_refund(ctx) for _ in range(3)]
    from refunds import views

    page = views.keyset_paginate(Refund.objects.all(), None, size=2)
    assert page.has_next
    response = accountant_client.get(reverse("refunds:list"), {"cursor": page.next_cursor})
    assert list(response.context["page"].items) == [refunds[0]]


def test_the_list_answers_htmx_with_the_results_fragment(accountant_client, organisation):
    _refund(Ctx(organisation))

    response = accountant_client.get(reverse("refunds:list"), headers=HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body


def test_the_list_shows_no_refund_of_another_organisation(accountant_client, other_organisation):
    other = _refund(Ctx(other_organisation))

    response = accountant_client.get(reverse("refunds:list"))

    assert other not in response.context["page"].items


# --- detail -----------------------------------------------------------------------


def test_the_detail_shows_retry_on_a_failed_refund(accountant_client, organisation):
    refund = _refund(Ctx(organisation), status="failed", last_cause="connectivity")

    body = accountant_client.get(refund.get_absolute_url()).content.decode()

    assert reverse("activity:retry", args=["refund", refund.pk]) in body
    assert "Retry" in body


def test_the_detail_offers_a_check_not_a_retry_on_an_unknown_refund(
    accountant_client, organisation
):
    refund = _refund(Ctx(organisation), status="unknown", last_cause="connectivity")

    body = accountant_client.get(refund.get_absolute_url()).content.decode()

    assert reverse("refunds:reconcile", args=[refund.pk]) in body
    assert reverse("activity:retry", args=["refund", refund.pk]) not in body


def test_the_detail_links_the_credit_note_pdf(accountant_client, organisation):
    pk = _with_credit_note(Ctx(organisation))["pk"]

    body = accountant_client.get(reverse("refunds:detail", args=[pk])).content.decode()
    response = accountant_client.get(reverse("refunds:credit_note_pdf", args=[pk]))

    assert reverse("refunds:credit_note_pdf", args=[pk]) in body
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_credit_note_pdf_is_404_without_one(accountant_client, organisation):
    refund = _refund(Ctx(organisation))

    assert (
        accountant_client.get(reverse("refunds:credit_note_pdf", args=[refund.pk])).status_code
        == 404
    )


def test_the_detail_of_another_organisation_is_404(other_accountant_client, organisation):
    refund = _refund(Ctx(organisation))

    assert other_accountant_client.get(refund.get_absolute_url()).status_code == 404


# --- request form -----------------------------------------------------------------


def test_an_accountant_requests_a_partial_refund(accountant_client, organisation):
    invoice = paid_invoice(organisation)
    url = reverse("refunds:request", args=[invoice.pk])

    assert "240.00" in accountant_client.get(url).content.decode()
    response = accountant_client.post(url, {"amount": "40.00", "reason": "Remise"})

    refund = Refund.objects.get(invoice=invoice)
    assert response.status_code == 302
    assert response["Location"] == refund.get_absolute_url()
    assert (refund.amount, refund.status) == (Decimal("40.00"), Refund.Status.REQUESTED)


def test_a_refund_above_the_refundable_amount_shows_a_clear_error_in_the_fragment(
    accountant_client, organisation
):
    invoice = paid_invoice(organisation)

    response = accountant_client.post(
        reverse("refunds:request", args=[invoice.pk]),
        {"amount": "300.00", "reason": "Trop"},
        headers=HTMX,
    )

    body = response.content.decode()
    assert response.status_code == 422
    assert body.lstrip().startswith('<form id="refund-form"')
    assert "Only €240.00 can still be refunded" in body
    assert not Refund.objects.exists()


def test_a_successful_htmx_request_redirects_the_client(accountant_client, organisation):
    invoice = paid_invoice(organisation)

    response = accountant_client.post(
        reverse("refunds:request", args=[invoice.pk]),
        {"amount": "1.00", "reason": "x"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == Refund.objects.get().get_absolute_url()


def test_the_request_form_escapes_the_reason(accountant_client, organisation):
    invoice = paid_invoice(organisation)
    accountant_client.post(
        reverse("refunds:request", args=[invoice.pk]),
        {"amount": "1.00", "reason": "<script>alert(1)</script>"},
    )

    body = accountant_client.get(Refund.objects.get().get_absolute_url()).content.decode()

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


def test_the_request_form_refuses_put(accountant_client, organisation):
    invoice = paid_invoice(organisation)

    assert accountant_client.put(reverse("refunds:request", args=[invoice.pk])).status_code == 405


def test_support_cannot_request_a_refund(support_client, organisation):
    invoice = paid_invoice(organisation)

    response = support_client.post(
        reverse("refunds:request", args=[invoice.pk]), {"amount": "1.00", "reason": "x"}
    )

    assert response.status_code == 403


def test_the_invoice_page_shows_paid_refunded_and_remaining(accountant_client, organisation):
    invoice = paid_invoice(organisation, paid="200.00")
    invoice.amount_refunded = Decimal("50.00")
    invoice.save()

    body = accountant_client.get(invoice.get_absolute_url()).content.decode()

    assert "200.00" in body
    assert "50.00" in body
    assert "40.00" in body  # remaining to pay
    assert reverse("refunds:request", args=[invoice.pk]) in body


# --- approve, confirm, cancel, reconcile ------------------------------------------


def test_an_admin_approves_a_pending_refund(admin_client_org, organisation):
    refund = _refund(Ctx(organisation), status="pending_approval")

    response = admin_client_org.post(reverse("refunds:approve", args=[refund.pk]))

    refund.refresh_from_db()
    assert response.status_code == 302
    assert refund.status == Refund.Status.REQUESTED
    assert refund.approved_by is not None


def test_an_accountant_cannot_approve(accountant_client, organisation):
    refund = _refund(Ctx(organisation), status="pending_approval")

    assert accountant_client.post(reverse("refunds:approve", args=[refund.pk])).status_code == 403
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING_APPROVAL


def test_an_accountant_confirms_a_manual_transfer(accountant_client, organisation):
    invoice = paid_invoice(organisation)
    refund = run_now(
        services.request_refund(
            invoice=invoice, amount=Decimal("30"), reason="x", requested_by=None
        )
    )
    assert refund.status == Refund.Status.AWAITING_TRANSFER

    response = accountant_client.post(reverse("refunds:confirm_transfer", args=[refund.pk]))

    refund.refresh_from_db()
    assert response.status_code == 302
    assert refund.status == Refund.Status.REFUNDED
    assert refund.credit_note.pdf


def test_cancelling_a_failed_refund_releases_its_amount(accountant_client, organisation):
    refund = _refund(Ctx(organisation), status="failed")

    accountant_client.post(reverse("refunds:cancel", args=[refund.pk]))

    refund.refresh_from_db()
    assert refund.status == Refund.Status.CANCELLED
    assert services.refundable_amount(refund.invoice) == Decimal("240.00")


def test_a_failed_refund_sent_with_an_unknown_outcome_cannot_be_cancelled(
    accountant_client, organisation
):
    from django.utils import timezone

    refund = _refund(
        Ctx(organisation), status="failed", last_cause="internal", sent_at=timezone.now()
    )

    accountant_client.post(reverse("refunds:cancel", args=[refund.pk]))

    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED


def test_checking_an_unknown_refund_settles_it(accountant_client, stripe_org, stripe_server):
    invoice = paid_invoice(stripe_org, server=stripe_server)
    refund = _refund(Ctx(stripe_org), status="unknown")
    refund.invoice = invoice
    refund.save()
    stripe_server.refunds.append(
        {
            "id": "re_found",
            "amount": 1000,
            "payment_intent": invoice.payment_reference,
            "status": "succeeded",
            "metadata": {"refund_id": str(refund.pk)},
        }
    )

    response = accountant_client.post(reverse("refunds:reconcile", args=[refund.pk]))

    refund.refresh_from_db()
    assert response.status_code == 302
    assert (refund.status, refund.provider_refund_id) == (Refund.Status.REFUNDED, "re_found")
    events = set(refund_events(refund))
    assert Event.SUCCEEDED in events


def refund_events(refund):
    from activity.models import ActivityLog

    return ActivityLog.objects.for_record(refund).values_list("event", flat=True)


# --- concurrency ------------------------------------------------------------------


def _race(calls) -> list:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_past_the_refundable_amount_one_wins_one_gets_a_clear_error(
    organisation,
):
    invoice = paid_invoice(organisation)
    users = [UserFactory(organisation=organisation, role="accountant") for _ in range(2)]
    clients = []
    for user in users:
        client = Client()
        client.force_login(user)
        clients.append(client)
    url = reverse("refunds:request", args=[invoice.pk])

    responses = _race(
        [lambda c=c: c.post(url, {"amount": "200.00", "reason": "x"}) for c in clients]
    )

    assert sorted(r.status_code for r in responses) == [302, 422]
    loser = next(r for r in responses if r.status_code == 422)
    assert "Only €40.00 can still be refunded" in loser.content.decode()
    assert Refund.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_users_clicking_retry_at_once_queue_it_once(organisation):
    refund = _refund(Ctx(organisation), status="failed", last_cause="connectivity")
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(UserFactory(organisation=organisation, role="accountant"))
        clients.append(client)
    url = reverse("activity:retry", args=["refund", refund.pk])

    responses = _race([lambda c=c: c.post(url, headers=HTMX) for c in clients])

    assert [r.status_code for r in responses] == [200, 200]
    notices = ["nothing was queued again" in r.content.decode() for r in responses]
    assert sorted(notices) == [False, True]
    assert list(refund_events(refund)).count(Event.RETRIED) == 1


def test_the_company_settings_provider_is_used_at_request_time(organisation):
    CompanySettings.objects.filter(organisation=organisation).update(payment_provider="stripe")
    invoice = paid_invoice(organisation)

    refund = services.request_refund(
        invoice=invoice, amount=Decimal("1"), reason="x", requested_by=None
    )

    assert refund.provider == "stripe"
