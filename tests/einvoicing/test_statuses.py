"""Life-cycle statuses after deposit: webhook (signed, replay-safe), polling, 212."""

import json
import time
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from activity.models import Alert, Cause
from einvoicing import services
from einvoicing.localplatform import sign
from einvoicing.models import EInvoice
from payments.services import record_payment
from tests.conftest import wait_for

from .flows import generated_einvoice, transmit_now

pytestmark = pytest.mark.django_db
SECRET = "whsec-test"


def _post(client, organisation, body: dict, *, secret=SECRET, timestamp=None):
    raw = json.dumps(body).encode()
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    return client.post(
        f"/einvoicing/webhook/{organisation.slug}/",
        data=raw,
        content_type="application/json",
        headers={
            "X-Platform-Timestamp": timestamp,
            "X-Platform-Signature": sign(secret, timestamp, raw),
        },
    )


@pytest.fixture
def deposited(platform_org, platform_server):
    einvoice = transmit_now(generated_einvoice(platform_org))
    assert einvoice.status == EInvoice.Status.DEPOSITED
    return einvoice


def _event(einvoice, code, *, event_id="evt-1", message="", reason=""):
    return {
        "flowId": einvoice.flow_id,
        "trackingId": einvoice.tracking_id,
        "eventId": event_id,
        "code": code,
        "date": timezone.now().isoformat(),
        "message": message,
        "reasonCode": reason,
    }


def test_a_buyer_refusal_by_webhook_marks_the_invoice_refused_with_an_alert(client, deposited):
    response = _post(
        client, deposited.organisation, _event(deposited, "210", message="Prix erroné")
    )

    assert response.status_code == 200
    deposited.refresh_from_db()
    assert (deposited.status, deposited.lifecycle) == (EInvoice.Status.REFUSED, "210")
    assert deposited.last_cause == Cause.REFUSED
    assert "Prix erroné" in deposited.last_error
    assert Alert.objects.open().filter(object_id=deposited.pk).exists()


def test_a_replayed_notification_is_stored_once(client, deposited):
    body = _event(deposited, "203", message="Mise à disposition")

    assert _post(client, deposited.organisation, body).json() == {"stored": 1}
    assert _post(client, deposited.organisation, body).json() == {"stored": 0}

    assert [s.code for s in deposited.statuses.all()] == ["200", "203"]


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"secret": "forged"}, 401),
        ({"timestamp": int(time.time()) - 3600}, 401),
        ({"timestamp": "soon"}, 401),
    ],
)
def test_an_unsigned_stale_or_forged_notification_is_refused(client, deposited, kwargs, status):
    response = _post(client, deposited.organisation, _event(deposited, "210"), **kwargs)

    assert response.status_code == status
    assert [s.code for s in deposited.statuses.all()] == ["200"]


def test_a_notification_for_another_organisations_flow_is_unknown(
    client, deposited, other_organisation
):
    from einvoicing.models import PlatformSettings

    PlatformSettings.objects.filter(organisation=other_organisation).update(webhook_secret=SECRET)
    PlatformSettings.for_organisation(other_organisation)
    PlatformSettings.objects.filter(organisation=other_organisation).update(webhook_secret=SECRET)

    response = _post(client, other_organisation, _event(deposited, "210"))

    assert response.status_code == 404
    deposited.refresh_from_db()
    assert deposited.status == EInvoice.Status.DEPOSITED


def test_the_webhook_answers_only_post(client, deposited):
    assert client.get(f"/einvoicing/webhook/{deposited.organisation.slug}/").status_code == 405


def test_polling_reads_the_statuses_the_webhook_missed(deposited, platform_server):
    flow = platform_server.flows[deposited.flow_id]
    platform_server.refuse(flow)  # no webhook configured: the notification is lost

    assert services.poll_einvoices() == 1
    assert services.poll_einvoices() == 0

    deposited.refresh_from_db()
    assert deposited.status == EInvoice.Status.REFUSED
    assert [s.code for s in deposited.statuses.all()] == ["200", "210"]


@pytest.mark.django_db(transaction=True)
def test_the_local_platform_notifies_our_webhook(live_server, platform_org, platform_server):
    platform_server.webhook_url = f"{live_server.url}/einvoicing/webhook/{platform_org.slug}/"
    platform_server.webhook_secret = SECRET
    platform_server.refuse_next = 1

    einvoice = transmit_now(generated_einvoice(platform_org))

    def refused():
        einvoice.refresh_from_db()
        return einvoice.status == EInvoice.Status.REFUSED

    wait_for(refused, timeout=10)
    assert all(n.get("http") == 200 for n in platform_server.notifications)


def _pay(einvoice, amount: str) -> None:
    record_payment(
        invoice=einvoice.invoice, amount=Decimal(amount), paid_on=date(2026, 11, 28), actor=None
    )


def test_a_fully_paid_invoice_is_reported_collected_once(deposited, platform_server):
    _pay(deposited, "240.00")

    assert services.report_collected() == 1
    assert services.report_collected() == 0

    deposited.refresh_from_db()
    assert deposited.lifecycle == "212"
    flow = platform_server.flows[deposited.flow_id]
    assert [s["code"] for s in flow["statuses"]] == ["200", "212"]
    assert [s.code for s in deposited.statuses.all()] == ["200", "212"]
    assert flow["statuses"][-1]["message"] == "Encaissée\u00a0: 240,00\u00a0€"


def test_a_partly_paid_invoice_is_not_reported_collected(deposited, platform_server):
    _pay(deposited, "100.00")

    assert services.report_collected() == 0
