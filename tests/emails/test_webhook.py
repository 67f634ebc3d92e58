"""The ESP tracking webhook, over real HTTP, with anymail checking the basic auth."""

import base64
import json
import urllib.error
import urllib.request

import pytest
from django.urls import reverse

from activity.models import Alert, Cause
from emails.models import EmailMessage

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "postmark:s3cret-hook"


@pytest.fixture
def webhook_url(live_server, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    return live_server.url + reverse("emails:tracking_webhook", args=["postmark"])


def _post(url: str, payload: dict, auth: str | None) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _sent(organisation) -> EmailMessage:
    return EmailMessage.objects.create(
        organisation=organisation, subject="Facture", template="invoice", status="sent",
        recipients=["john@example.com"], recipient="john@example.com",
        message_id="<abc@example.com>", provider_message_id="883953f4-6105-42a2-a16a-77a8eac79483",
    )  # fmt: skip


DELIVERY = {
    "RecordType": "Delivery",
    "ServerID": 23,
    "MessageStream": "outbound",
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    "Recipient": "john@example.com",
    "DeliveredAt": "2026-11-27T16:33:54.9070259Z",
    "Details": "Test delivery webhook details",
    "Metadata": {},
}

BOUNCE = {
    "RecordType": "Bounce",
    "ID": 4323372036854775807,
    "Type": "HardBounce",
    "TypeCode": 1,
    "Name": "Hard bounce",
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    "ServerID": 23,
    "Description": "The server was unable to deliver your message (ex: unknown user).",
    "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
    "Email": "john@example.com",
    "From": "sender@example.com",
    "BouncedAt": "2026-11-27T16:33:54.9070259Z",
    "Inactive": True,
    "CanActivate": True,
    "Subject": "Facture",
}


def test_a_delivery_event_with_the_right_auth_marks_the_message_delivered(
    webhook_url, organisation
):
    message = _sent(organisation)

    assert _post(webhook_url, DELIVERY, SECRET) == 200

    message.refresh_from_db()
    assert message.status == EmailMessage.Status.DELIVERED
    assert message.delivered_at is not None


@pytest.mark.parametrize("auth", [None, "postmark:wrong"])
def test_an_event_without_the_right_auth_is_refused(webhook_url, organisation, auth):
    message = _sent(organisation)

    assert _post(webhook_url, DELIVERY, auth) == 400

    message.refresh_from_db()
    assert message.status == EmailMessage.Status.SENT


def test_a_bounce_event_marks_the_message_bounced_with_an_alert(webhook_url, organisation):
    message = _sent(organisation)

    assert _post(webhook_url, BOUNCE, SECRET) == 200

    message.refresh_from_db()
    assert message.status == EmailMessage.Status.BOUNCED
    assert message.last_cause == Cause.REFUSED
    assert message.sent_at is None  # Resend may send it again
    assert "does not exist" in message.last_error
    assert Alert.objects.open().filter(object_id=message.pk, process=message.process.name).exists()


def test_without_a_secret_the_webhook_is_disabled(live_server, settings, organisation):
    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
    url = live_server.url + reverse("emails:tracking_webhook", args=["postmark"])

    assert _post(url, DELIVERY, None) == 404


def test_a_spam_complaint_is_recorded_on_the_message(webhook_url, organisation):
    message = _sent(organisation)
    complaint = {
        **BOUNCE,
        "RecordType": "SpamComplaint",
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Name": "Spam complaint",
    }

    assert _post(webhook_url, complaint, SECRET) == 200

    message.refresh_from_db()
    assert message.complained_at is not None
    assert message.status == EmailMessage.Status.SENT
