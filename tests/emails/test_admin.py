import pytest
from django.test import Client
from django.urls import reverse

from emails.models import EmailMessage

pytestmark = pytest.mark.django_db


def test_admins_see_the_messages_and_can_resend_failed_ones(admin_user, organisation):
    admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    failed = EmailMessage.objects.create(
        organisation=organisation,
        subject="Facture",
        template="invoice",
        status="bounced",
        recipient="x@example.com",
        message_id="<admin@example.com>",
    )
    url = reverse("admin:emails_emailmessage_changelist")

    assert client.get(url, {"q": "x@example.com", "status": "bounced"}).status_code == 200
    assert (
        client.get(reverse("admin:emails_emailmessage_change", args=[failed.pk])).status_code == 200
    )
    response = client.post(url, {"action": "retry_failed", "_selected_action": [failed.pk]})

    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == EmailMessage.Status.QUEUED
