"""The alert bar: in the first paint of every page, polled cheaply."""

import re

import pytest
from django.urls import reverse

from activity.models import Cause
from incidents.models import Incident, Severity
from tests.conftest import HTMX
from tests.incidents.helpers import fail_invoice

pytestmark = pytest.mark.django_db
BAR = reverse("incidents:bar")


def _version(content: str) -> str:
    found = re.search(r'hx-get="/incidents/bar/\?v=([\w-]+)"', content)
    assert found is not None
    return found.group(1)


@pytest.fixture
def failures(organisation, django_capture_on_commit_callbacks):
    def fail(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fail_invoice(organisation, **kwargs)

    return fail


def test_every_page_renders_the_bar_with_its_count_in_the_title(accountant_client, failures):
    failures()
    failures(cause=Cause.CONNECTIVITY, details={"service": "smtp"})

    content = accountant_client.get(reverse("invoices:list")).content.decode()

    assert "<title>(2) Invoices · CommBilling</title>" in content
    assert 'id="alert-bar"' in content
    assert 'data-count="2"' in content
    assert "2 open incidents" in content
    assert "1 critical" in content
    assert "1 warning" in content
    assert "SMTP server unreachable since" in content


def test_a_page_without_incidents_shows_a_calm_bar_of_the_same_height(accountant_client):
    content = accountant_client.get(reverse("invoices:list")).content.decode()

    assert "<title>Invoices · CommBilling</title>" in content
    assert "No open incident" in content


def test_support_staff_have_no_bar(support_client):
    content = support_client.get(reverse("support:index")).content.decode()

    assert 'id="alert-bar"' not in content


def test_an_unchanged_poll_answers_204_from_the_session_alone(
    accountant_client, failures, django_assert_max_num_queries
):
    failures()
    version = _version(accountant_client.get(reverse("dashboard")).content.decode())

    # No query at all: the session comes from the cache (cached_db), and no user,
    # permission, role or incident is loaded.
    with django_assert_max_num_queries(0):
        response = accountant_client.get(f"{BAR}?v={version}", headers=HTMX)

    assert response.status_code == 204
    assert response.content == b""


def test_a_change_answers_the_new_bar_with_its_new_version(
    accountant_client, failures, django_assert_max_num_queries
):
    version = _version(accountant_client.get(reverse("dashboard")).content.decode())
    failures()

    with django_assert_max_num_queries(8):
        response = accountant_client.get(f"{BAR}?v={version}", headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert _version(content) != version
    assert 'data-count="1"' in content
    assert accountant_client.get(f"{BAR}?v={_version(content)}").status_code == 204


def test_another_organisations_change_keeps_the_poll_at_204(
    accountant_client, other_organisation, django_capture_on_commit_callbacks
):
    version = _version(accountant_client.get(reverse("dashboard")).content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        fail_invoice(other_organisation)

    assert accountant_client.get(f"{BAR}?v={version}", headers=HTMX).status_code == 204


def test_a_platform_incident_changes_every_organisations_bar(
    accountant_client, django_capture_on_commit_callbacks
):
    from incidents import versions

    version = _version(accountant_client.get(reverse("dashboard")).content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        Incident.objects.create(
            organisation=None, process="", cause="stalled", key="stalled:scheduler:x",
            severity=Severity.CRITICAL, details={"kind": "scheduler", "name": "x"},
        )  # fmt: skip
        versions.bump(None)

    content = accountant_client.get(f"{BAR}?v={version}", headers=HTMX).content.decode()

    assert "The scheduler has given no sign of life since" in content


def test_a_poll_without_a_version_or_session_mark_gets_the_full_bar(accountant_client):
    response = accountant_client.get(BAR, headers=HTMX)

    assert response.status_code == 200
    assert 'id="alert-bar"' in response.content.decode()


def test_a_stale_session_mark_gives_nothing_to_a_user_without_billing_access(
    accountant_client, accountant
):
    accountant_client.get(reverse("dashboard"))
    accountant.groups.clear()

    response = accountant_client.get(f"{BAR}?v=not-the-version", headers=HTMX)

    assert response.status_code == 403


def test_acknowledging_from_the_drawer_answers_the_updated_bar(
    accountant_client, accountant, failures
):
    failures()
    incident = Incident.objects.get()

    response = accountant_client.post(
        reverse("incidents:acknowledge", args=[incident.pk]), headers=HTMX
    )

    assert response.status_code == 200
    assert f"Acknowledged by {accountant.username}" in response.content.decode()


def test_resolving_without_javascript_goes_back_to_the_page(accountant_client, failures):
    failures()
    incident = Incident.objects.get()

    response = accountant_client.post(
        reverse("incidents:resolve", args=[incident.pk]), {"next": "/invoices/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/invoices/"
    incident.refresh_from_db()
    assert not incident.is_open


def test_another_organisations_incident_is_a_404(other_accountant_client, failures):
    failures()
    incident = Incident.objects.get()

    for name in ("incidents:acknowledge", "incidents:resolve"):
        response = other_accountant_client.post(reverse(name, args=[incident.pk]))
        assert response.status_code == 404


def test_only_administrators_close_a_platform_incident(accountant_client, admin_client_org):
    incident = Incident.objects.create(
        organisation=None, process="", cause="stalled", key="stalled:worker:w",
        severity=Severity.CRITICAL, details={"kind": "worker", "name": "w"},
    )  # fmt: skip
    url = reverse("incidents:resolve", args=[incident.pk])

    assert accountant_client.post(url).status_code == 403
    assert admin_client_org.post(url).status_code == 302


def test_the_incidents_page_lists_open_and_resolved_incidents(accountant_client, failures):
    failures()
    failures(cause=Cause.CONNECTIVITY, details={"service": "smtp"})
    Incident.objects.filter(cause=Cause.CONNECTIVITY).update(resolved_at="2026-11-28T09:00Z")

    content = accountant_client.get(reverse("incidents:list")).content.decode()

    assert "1 invoice blocked — missing data: SIREN (customer)" in content
    assert "by itself" in content


def test_the_bar_speaks_french(accountant_client, accountant, failures):
    failures()

    accountant_client.cookies["django_language"] = "fr"
    content = accountant_client.get(reverse("invoices:list")).content.decode()

    assert "1 incident ouvert" in content
    # French typography: a no-break space before the colon.
    assert "1 facture en échec — données manquantes\u00a0: SIREN (client)" in content
