"""Refunds through the real runner (in-process, as a worker would run them) and the local
Stripe server: balances, automatic retries, a wrong key. Kills, redelivery and races
stay in test_worker.py, with a real worker."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.models import CompanySettings
from activity.models import ActivityLog, Alert, Cause, Event
from refunds import services
from refunds.models import Refund
from tests.conftest import run_queued

from .conftest import paid_invoice

pytestmark = pytest.mark.django_db(transaction=True)


def _settled(refund: Refund) -> Refund:
    run_queued()
    refund.refresh_from_db()
    return refund


def _request(invoice, amount: str, user=None) -> Refund:
    return services.request_refund(
        invoice=invoice, amount=Decimal(amount), reason="Geste commercial", requested_by=user
    )


def test_a_partial_then_a_full_refund_then_a_third_is_refused(
    stripe_org, stripe_server, accountant
):
    invoice = paid_invoice(stripe_org, server=stripe_server)

    first = _request(invoice, "90.00", accountant)

    first = _settled(first)
    second = _request(invoice, "150.00", accountant)
    second = _settled(second)

    assert [first.status, second.status] == [Refund.Status.REFUNDED] * 2, second.last_error
    numbers = [first.credit_note.number, second.credit_note.number]
    assert int(numbers[1][-6:]) == int(numbers[0][-6:]) + 1
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.amount_refunded) == (Decimal("240.00"), Decimal("240.00"))
    assert services.refundable_amount(invoice) == Decimal("0.00")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        _request(invoice, "1.00", accountant)
    assert "Only €0.00 can still be refunded" in refused.value.messages[0]
    assert "(paid €240.00, refunded or being refunded €240.00)" in refused.value.messages[0]
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        _request(invoice, "1.00", accountant)
    said = " ".join(refused.value.messages[0].split())  # no-break spaces as plain ones
    assert "Seuls 0,00 € peuvent encore être remboursés" in said
    assert "(payé : 240,00 €, remboursé ou en cours de remboursement : 240,00 €)" in said
    assert sum(r["amount"] for r in stripe_server.refunds) == 24000
    assert len(stripe_server.refunds) == 2


def test_503_twice_then_200_is_refunded_once_after_automatic_retries(
    stripe_org, stripe_server, accountant
):
    invoice = paid_invoice(stripe_org, server=stripe_server)
    stripe_server.fail_posts = [(503, "service_unavailable"), (503, "service_unavailable")]

    refund = _request(invoice, "20.00", accountant)

    refund = _settled(refund)

    assert refund.status == Refund.Status.REFUNDED, refund.last_error
    assert refund.attempts == 3
    assert len(stripe_server.refunds) == 1
    assert {k for m, _, k in stripe_server.requests if m == "POST"} == {str(refund.idempotency_key)}
    events = list(
        ActivityLog.objects.for_record(refund).order_by("id").values_list("event", flat=True)
    )
    assert events.count(Event.RETRIED) == 2
    assert events[-1] == Event.SUCCEEDED


def test_a_wrong_api_key_fails_at_once_and_the_alert_names_the_setting(
    stripe_org, stripe_server, accountant
):
    CompanySettings.objects.filter(organisation=stripe_org).update(provider_api_key="sk_bad")
    invoice = paid_invoice(stripe_org, server=stripe_server)

    refund = _request(invoice, "20.00", accountant)

    refund = _settled(refund)

    assert refund.status == Refund.Status.FAILED
    assert refund.last_cause == Cause.WRONG_SETTINGS
    assert refund.attempts == 1
    assert stripe_server.posts() == 1
    alert = Alert.objects.open().get(object_id=refund.pk)
    assert alert.cause == Cause.WRONG_SETTINGS
    assert "provider API key" in alert.message
    assert refund.last_error_details["settings"][0]["field"] == "provider_api_key"


@pytest.mark.parametrize(
    ("language", "why", "todo"),
    [
        (
            "en",
            "The payment provider refused it: the customer's card has expired or was cancelled.",
            "Refund the customer another way (a bank transfer), then cancel this refund.",
        ),
        (
            "fr",
            "Le prestataire de paiement a refusé la demande : la carte du client a expiré "
            "ou a été annulée.",
            "Remboursez le client autrement (par virement), puis annulez ce remboursement.",
        ),
    ],
)
def test_a_refund_stripe_could_not_make_says_why_in_words(
    stripe_org, stripe_server, accountant, language, why, todo
):
    """Stripe answers a failed refund with a code ("expired_or_canceled_card"): the user
    reads what it means and what to do, not the code and "correct the data"."""
    from activity.messages import explain

    stripe_server.fail_refunds.append("expired_or_canceled_card")
    refund = _settled(_request(paid_invoice(stripe_org, server=stripe_server), "40.00", accountant))

    assert (refund.status, refund.last_cause) == (Refund.Status.FAILED, Cause.REFUSED)
    with translation.override(language):
        text = explain(
            process="refund",
            cause=refund.last_cause,
            details=refund.last_error_details,
            record_label=str(refund),
        )
    assert (" ".join(text.why.split()), text.todo) == (why, todo)
