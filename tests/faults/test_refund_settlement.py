"""Issue 14.4: a refund whose sending time is recorded may exist at the provider, so it
ends À vérifier / To be checked — never Échoué — until the provider has been asked,
whatever stopped its last attempt (a worker killed at every attempt, a setting removed
since, data missing now). Reconciliation then asks the provider and settles it."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import CompanySettings
from activity.errors import AutomationError
from activity.models import ActivityLog, Alert, Event
from refunds import providers
from refunds import services as refunds
from refunds.models import CreditNote, Refund
from tests.refunds.conftest import paid_invoice, stripe_org, stripe_server  # noqa: F401
from tests.refunds.helpers import run_now

pytestmark = pytest.mark.django_db(transaction=True)


def _no_auth_error(remote: str) -> AutomationError:
    raise AssertionError(remote)


def _sent_by_a_first_attempt(refund: Refund, company: CompanySettings) -> None:
    """What an attempt does before its worker dies: record the sending time, then call
    the provider (here the local Stripe server, which makes the refund)."""
    refund.sent_at = timezone.now()
    Refund.objects.filter(pk=refund.pk).update(sent_at=refund.sent_at)
    client = providers.StripeRefunds(
        api_key=company.provider_api_key,
        api_base=company.provider_api_base,
        on_auth_error=_no_auth_error,
    )
    client.create(refund=refund)


def _left_by_dead_workers(refund: Refund) -> None:
    """Every attempt claimed the refund and died: still processing under the task's id
    (redelivered with it), with all attempts used."""
    Refund.objects.filter(pk=refund.pk).update(
        status=Refund.Status.PROCESSING,
        attempts=settings.AUTOMATION["MAX_ATTEMPTS"],
        started_at=timezone.now(),
    )


@pytest.fixture
def sent_refund(stripe_org, stripe_server, accountant):  # noqa: F811
    invoice = paid_invoice(stripe_org, server=stripe_server)
    refund = refunds.request_refund(
        invoice=invoice, amount=Decimal("30.00"), reason="Geste", requested_by=accountant
    )
    company = CompanySettings.objects.get(organisation=stripe_org)
    _sent_by_a_first_attempt(refund, company)
    assert len(stripe_server.refunds) == 1
    return refund


def _stop_before_asking(refund: Refund, how: str) -> None:
    if how == "worker killed at every attempt":
        _left_by_dead_workers(refund)
    elif how == "API key removed since":
        CompanySettings.objects.filter(organisation_id=refund.organisation_id).update(
            provider_api_key=""
        )
    elif how == "payment reference removed since":
        type(refund.invoice).objects.filter(pk=refund.invoice_id).update(payment_reference="")


@pytest.mark.parametrize(
    "how",
    ["worker killed at every attempt", "API key removed since", "payment reference removed since"],
)
def test_a_sent_refund_whose_last_attempt_never_asked_the_provider_ends_to_be_checked(
    sent_refund,
    stripe_server,  # noqa: F811
    how,
):
    _stop_before_asking(sent_refund, how)

    refund = run_now(sent_refund)

    # Before: Échoué (internal error, or the cause of the last attempt).
    assert refund.status == Refund.Status.UNKNOWN, (refund.last_cause, refund.last_error)
    assert refund.status not in refund.RETRYABLE_STATUSES  # no blind resend
    assert not refunds.cancel_refund(refund=refund, actor=refund.requested_by)
    assert Alert.objects.open().filter(object_id=refund.pk).exists()
    assert len(stripe_server.refunds) == 1  # nothing sent a second time


def test_reconciliation_then_settles_it_with_its_credit_note_and_the_refunded_amount(
    sent_refund,
    stripe_server,  # noqa: F811
):
    _left_by_dead_workers(sent_refund)
    refund = run_now(sent_refund)
    assert refund.status == Refund.Status.UNKNOWN

    assert refunds.reconcile_unknown_refunds() == 1

    refund.refresh_from_db()
    assert refund.status == Refund.Status.REFUNDED
    assert refund.provider_refund_id == stripe_server.refunds[0]["id"]
    assert CreditNote.objects.get(refund=refund).amount == Decimal("30.00")
    refund.invoice.refresh_from_db()
    assert refund.invoice.amount_refunded == Decimal("30.00")
    assert not Alert.objects.open().filter(object_id=refund.pk).exists()
    assert len(stripe_server.refunds) == 1


def test_the_worker_lost_failure_of_a_sent_refund_says_why_it_is_to_be_checked(sent_refund):
    _left_by_dead_workers(sent_refund)

    refund = run_now(sent_refund)

    assert refund.last_error_details["error"] == "WorkerLost"
    failed = ActivityLog.objects.for_record(refund).get(event=Event.FAILED)
    assert failed.attempt == settings.AUTOMATION["MAX_ATTEMPTS"] + 1


def test_a_refund_the_provider_itself_refused_after_the_lookup_fails_and_can_be_cancelled(
    stripe_org,  # noqa: F811
    stripe_server,  # noqa: F811
    accountant,
):
    invoice = paid_invoice(stripe_org, server=stripe_server)
    refund = refunds.request_refund(
        invoice=invoice, amount=Decimal("30.00"), reason="Geste", requested_by=accountant
    )
    # Sent once, lost before the provider made it; then the payment is refunded elsewhere.
    Refund.objects.filter(pk=refund.pk).update(sent_at=timezone.now())
    stripe_server.refunds.append(
        {
            "id": "re_other",
            "amount": 24000,
            "payment_intent": invoice.payment_reference,
            "status": "succeeded",
            "metadata": {},
            "object": "refund",
            "currency": "eur",
            "created": 0,
        }
    )

    refund = run_now(refund)

    # The lookup found none of ours, the provider refused the resend: a known outcome.
    assert refund.status == Refund.Status.FAILED
    assert refunds.cancel_refund(refund=refund, actor=accountant)
