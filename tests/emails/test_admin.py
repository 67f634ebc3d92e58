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


def test_a_sent_email_is_read_only_in_the_admin_and_never_deleted(admin_user, organisation):
    from django.utils import timezone

    admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    sent = EmailMessage.objects.create(
        organisation=organisation,
        subject="Facture F-2026-000001",
        template="invoice",
        status=EmailMessage.Status.SENT,
        sent_at=timezone.now(),
        recipient="client@example.com",
        message_id="<sent@example.com>",
    )
    change = reverse("admin:emails_emailmessage_change", args=[sent.pk])

    page = client.get(change)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(change, {"subject": "Rewritten"}).status_code == 403
    delete = reverse("admin:emails_emailmessage_delete", args=[sent.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    changelist = client.get(reverse("admin:emails_emailmessage_changelist"))
    assert b"delete_selected" not in changelist.content
    sent.refresh_from_db()
    assert sent.subject == "Facture F-2026-000001"
