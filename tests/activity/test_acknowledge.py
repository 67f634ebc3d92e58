"""Acknowledging an alert: once, logged, scoped to the organisation."""

import pytest
from django.urls import reverse

from activity.models import ActivityLog, Alert, Event, Trigger
from tests.activity.test_alerts import raise_alert
from tests.conftest import HTMX

pytestmark = pytest.mark.django_db


def _url(alert: Alert) -> str:
    return reverse("activity:acknowledge", args=[alert.pk])


def test_acknowledging_with_htmx_logs_it_and_answers_the_remaining_alerts(
    accountant_client, accountant, organisation
):
    alert = raise_alert(organisation)
    remaining = raise_alert(organisation)

    response = accountant_client.post(_url(alert), headers=HTMX)

    assert response.status_code == 200
    content = response.content.decode()
    assert f'data-alert-id="{alert.pk}"' not in content
    assert f'data-alert-id="{remaining.pk}"' in content
    alert.refresh_from_db()
    assert alert.acknowledged_by == accountant
    assert alert.resolved_at is None  # still failed: only the alert is acknowledged
    entry = ActivityLog.objects.for_record(alert.record).get(event=Event.ACKNOWLEDGED)
    assert (entry.actor, entry.trigger) == (accountant, Trigger.USER)


def test_acknowledging_twice_logs_once(accountant_client, organisation):
    alert = raise_alert(organisation)

    accountant_client.post(_url(alert), headers=HTMX)
    accountant_client.post(_url(alert), headers=HTMX)

    assert ActivityLog.objects.filter(event=Event.ACKNOWLEDGED).count() == 1


def test_without_htmx_it_redirects_to_the_page_the_user_was_on(accountant_client, organisation):
    alert = raise_alert(organisation)

    response = accountant_client.post(_url(alert), {"next": "/invoices/?status=failed"})

    assert response.status_code == 302
    assert response.url == "/invoices/?status=failed"


def test_it_never_redirects_to_another_site(accountant_client, organisation):
    alert = raise_alert(organisation)

    response = accountant_client.post(_url(alert), {"next": "https://evil.example/"})

    assert response.url == reverse("dashboard")


def test_another_organisations_alert_is_a_404(other_accountant_client, organisation):
    alert = raise_alert(organisation)

    response = other_accountant_client.post(_url(alert), headers=HTMX)

    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_it_refuses_get_and_other_roles(accountant_client, support_client, organisation):
    alert = raise_alert(organisation)

    assert accountant_client.get(_url(alert)).status_code == 405
    assert support_client.post(_url(alert)).status_code == 403
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_it_requires_the_csrf_token(accountant, organisation):
    from django.test import Client

    alert = raise_alert(organisation)
    client = Client(enforce_csrf_checks=True)
    client.force_login(accountant)

    assert client.post(_url(alert), headers=HTMX).status_code == 403
