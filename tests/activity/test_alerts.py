"""The alert slot polled by every page: open, unacknowledged alerts of the organisation."""

import pytest
from django.urls import reverse
from django.utils import timezone

from activity import services
from activity.models import Alert, Cause
from invoices.models import Invoice
from tests.conftest import HTMX
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db
URL = reverse("activity:alerts")


def raise_alert(organisation, cause: str = Cause.CONNECTIVITY) -> Alert:
    invoice = InvoiceFactory.create(organisation=organisation)
    Invoice.objects.filter(pk=invoice.pk).update(number=f"F-2026-{invoice.pk:06d}")
    invoice.refresh_from_db()
    alert = services.record_failure(
        record=invoice,
        from_statuses=(invoice.status,),
        process=invoice.process.name,
        cause=cause,
        message="storage unreachable",
        details={"service": "storage"},
        attempt=3,
    )
    assert alert is not None
    return alert


def test_a_failure_appears_in_the_alert_slot(accountant_client, organisation):
    alert = raise_alert(organisation)

    response = accountant_client.get(URL, headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert f'data-alert-id="{alert.pk}"' in content
    assert alert.record_label in content
    assert reverse("invoices:detail", args=[alert.object_id]) in content
    assert reverse("activity:acknowledge", args=[alert.pk]) in content


def test_acknowledged_resolved_and_other_organisations_alerts_are_not_shown(
    accountant_client, accountant, organisation, other_organisation
):
    acknowledged = raise_alert(organisation)
    services.acknowledge_alert(alert=acknowledged, user=accountant)
    resolved = raise_alert(organisation)
    Alert.objects.filter(pk=resolved.pk).update(resolved_at=timezone.now())
    theirs = raise_alert(other_organisation)
    shown = raise_alert(organisation)

    content = accountant_client.get(URL, headers=HTMX).content.decode()

    assert f'data-alert-id="{shown.pk}"' in content
    for hidden in (acknowledged, resolved, theirs):
        assert f'data-alert-id="{hidden.pk}"' not in content


def test_a_record_failing_again_keeps_one_alert_shown_again(
    accountant_client, accountant, organisation
):
    alert = raise_alert(organisation)
    services.acknowledge_alert(alert=alert, user=accountant)
    invoice = alert.record

    again = services.record_failure(
        record=invoice,
        from_statuses=(invoice.status,),
        process=invoice.process.name,
        cause=Cause.CONNECTIVITY,
        message="still unreachable",
        details={},
        attempt=3,
    )

    assert again.pk == alert.pk
    assert Alert.objects.open().filter(object_id=invoice.pk).count() == 1
    assert f'data-alert-id="{alert.pk}"' in accountant_client.get(URL).content.decode()


def test_it_refuses_other_roles_and_methods(support_client, accountant_client):
    assert support_client.get(URL).status_code == 403
    assert accountant_client.post(URL).status_code == 405


def test_an_alert_explains_the_failure_in_the_readers_language(accountant_client, organisation):
    invoice = InvoiceFactory.create(organisation=organisation)
    services.record_failure(
        record=invoice,
        from_statuses=(invoice.status,),
        process="invoice_generation",
        cause="connectivity",
        message="storage unreachable — OSError",
        details={"service": "storage", "error": "No space left on device"},
        attempt=3,
    )

    english = accountant_client.get(
        reverse("activity:alerts"), headers={"Accept-Language": "en"}
    ).content.decode()

    assert "The file storage could not be reached: No space left on device." in english
    assert "then click Regenerate" in english
