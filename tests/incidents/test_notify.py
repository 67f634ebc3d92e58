"""One e-mail to the administrators per incident, never one per failure."""

import pytest

from accounts.models import Role
from incidents.models import Incident
from incidents.notify import notify_admins
from tests.factories import UserFactory
from tests.incidents.helpers import fail_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on(settings):
    settings.INCIDENT_EMAILS = True


def test_the_admins_of_the_organisation_get_one_email_per_incident(
    organisation, other_organisation, mailoutbox
):
    admin = UserFactory(
        organisation=organisation, role=Role.ADMIN, email="admin@atelier.fr", language="en"
    )
    UserFactory(organisation=organisation, role=Role.ACCOUNTANT, email="compta@atelier.fr")
    UserFactory(organisation=other_organisation, role=Role.ADMIN, email="admin@other.fr")
    for _ in range(3):
        fail_invoice(organisation)
    incident = Incident.objects.get()

    assert notify_admins(incident_id=incident.pk) is True
    assert notify_admins(incident_id=incident.pk) is False

    [message] = mailoutbox
    assert message.to == [admin.email]
    headline = "3 invoices blocked — missing data: SIREN (customer)"
    assert message.subject == f"[CommBilling] Incident: {headline}"
    assert "/incidents/" in message.body


def test_each_administrator_reads_the_notice_in_their_own_language(organisation, mailoutbox):
    for email, language in (("fr@atelier.fr", "fr"), ("en@atelier.fr", "en")):
        UserFactory(organisation=organisation, role=Role.ADMIN, email=email, language=language)
    fail_invoice(organisation)

    assert notify_admins(incident_id=Incident.objects.get().pk) is True

    subjects = {tuple(message.to): " ".join(message.subject.split()) for message in mailoutbox}
    assert subjects == {
        ("en@atelier.fr",): "[CommBilling] Incident: 1 invoice blocked — missing data: "
        "SIREN (customer)",
        ("fr@atelier.fr",): "[CommBilling] Incident : 1 facture en échec — données manquantes : "
        "SIREN (client)",
    }


def test_the_notice_is_queued_once_when_the_incident_opens(
    organisation, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks() as callbacks:
        fail_invoice(organisation)
        fail_invoice(organisation)

    names = [c.__qualname__ for c in callbacks]
    assert names.count("note_failure.<locals>.<lambda>") == 1


def test_no_notice_when_switched_off(organisation, mailoutbox, settings):
    settings.INCIDENT_EMAILS = False
    UserFactory(organisation=organisation, role=Role.ADMIN, email="admin@atelier.fr")
    fail_invoice(organisation)

    assert notify_admins(incident_id=Incident.objects.get().pk) is False
    assert mailoutbox == []
