"""Failures group into incidents: one per organisation, process and kind."""

import pytest
from django.utils import translation

from activity.models import Cause
from incidents import services
from incidents.grouping import group
from incidents.models import Incident, IncidentRecord, Severity
from tests.factories import InvoiceFactory
from tests.incidents.helpers import fail_invoice, missing_siren

pytestmark = pytest.mark.django_db

ADDRESS = {
    "fields": [
        {"model": "customer", "field": "street", "label": "street"},
        {"model": "customer", "field": "city", "label": "city"},
    ]
}


PASSWORD = "companysettings.smtp_password"
SETTINGS = {"settings": [{"model": "companysettings", "field": "smtp_password"}], "service": "smtp"}


@pytest.mark.parametrize(
    ("cause", "details", "key", "severity"),
    [
        (Cause.CONNECTIVITY, {"service": "smtp"}, "connectivity:smtp", "critical"),
        (Cause.CONNECTIVITY, {"service": "storage"}, "connectivity:storage", "critical"),
        (Cause.MISSING_DATA, missing_siren(1), "missing_data::customer.siren", "warning"),
        (Cause.MISSING_DATA, missing_siren(2), "missing_data::customer.siren", "warning"),
        (Cause.MISSING_DATA, ADDRESS, "missing_data::customer.city,customer.street", "warning"),
        (
            Cause.WRONG_SETTINGS,
            SETTINGS,
            "wrong_settings:smtp:companysettings.smtp_password",
            "error",
        ),
        (Cause.REFUSED, {"service": "smtp", "remote": "550 no user"}, "refused:smtp", "warning"),
        (Cause.INTERNAL, {"error": "KeyError", "traceback": "..."}, "internal:KeyError", "error"),
        (
            Cause.INTERNAL,
            {"error": "WorkerLost", "reason": "worker_lost", "attempts": 3},
            "internal:worker_lost",
            "error",
        ),
        (
            Cause.INTERNAL,
            {"reason": "credit_note_without_pdf"},
            "internal:credit_note_without_pdf",
            "error",
        ),
    ],
)
def test_a_failure_is_grouped_by_cause_and_service_or_fields(cause, details, key, severity):
    found = group(cause=cause, details=details)

    assert (found.key, found.severity) == (key, severity)


def test_failures_of_the_same_kind_make_one_incident_whose_count_grows(organisation):
    for _ in range(3):
        fail_invoice(organisation)

    incident = Incident.objects.get()
    assert (incident.affected, incident.failures, incident.severity) == (3, 3, Severity.WARNING)
    with translation.override("en"):
        headline = incident.headline
    assert headline == "3 invoices blocked — missing data: SIREN (customer)"


def test_a_record_failing_again_is_counted_once(organisation):
    invoice = fail_invoice(organisation)
    fail_invoice(organisation, invoice=invoice)

    incident = Incident.objects.get()
    assert (incident.affected, incident.failures) == (1, 2)


def test_other_kinds_and_other_organisations_open_their_own_incidents(
    organisation, other_organisation
):
    fail_invoice(organisation)
    fail_invoice(organisation, cause=Cause.CONNECTIVITY, details={"service": "storage"})
    fail_invoice(other_organisation)

    assert Incident.objects.for_organisation(organisation).count() == 2
    assert Incident.objects.for_organisation(other_organisation).count() == 1


def test_a_record_moves_to_the_incident_of_its_new_failure(organisation):
    invoice = fail_invoice(organisation)
    fail_invoice(organisation)
    fail_invoice(
        organisation, invoice=invoice, cause=Cause.CONNECTIVITY, details={"service": "storage"}
    )

    missing = Incident.objects.get(cause=Cause.MISSING_DATA)
    outage = Incident.objects.get(cause=Cause.CONNECTIVITY)
    assert (missing.affected, outage.affected) == (1, 1)
    with translation.override("en"):
        headline = outage.headline
    assert headline.startswith("File storage unreachable since ")
    assert headline.endswith(" — 1 invoice waiting")


def test_the_incident_resolves_itself_when_its_last_record_succeeds(organisation):
    first, second = fail_invoice(organisation), fail_invoice(organisation)

    services.note_success(record=first)
    incident = Incident.objects.get()
    assert (incident.affected, incident.resolved_at) == (1, None)

    services.note_success(record=second)
    incident.refresh_from_db()
    assert incident.affected == 0
    assert incident.resolved_at is not None
    assert incident.resolved_by is None


def test_a_failure_after_the_resolution_opens_a_new_incident(organisation, accountant):
    fail_invoice(organisation)
    services.resolve_incident(incident=Incident.objects.get(), user=accountant)

    fail_invoice(organisation)

    assert Incident.objects.count() == 2
    assert Incident.objects.open().get().affected == 1


def test_acknowledging_keeps_the_incident_open_and_is_done_once(organisation, accountant):
    fail_invoice(organisation)
    incident = Incident.objects.get()

    assert services.acknowledge_incident(incident=incident, user=accountant) is True
    assert services.acknowledge_incident(incident=incident, user=accountant) is False
    incident.refresh_from_db()
    assert incident.acknowledged_by == accountant
    assert incident.is_open


def test_resolving_by_hand_releases_its_records(organisation, accountant):
    invoice = fail_invoice(organisation)
    incident = Incident.objects.get()

    assert services.resolve_incident(incident=incident, user=accountant) is True
    assert services.resolve_incident(incident=incident, user=accountant) is False
    assert not IncidentRecord.objects.filter(object_id=invoice.pk, left_at__isnull=True).exists()


def test_open_incidents_list_the_most_severe_first_with_the_platforms(organisation):
    fail_invoice(organisation)
    fail_invoice(organisation, cause=Cause.CONNECTIVITY, details={"service": "smtp"})
    platform = Incident.objects.create(
        organisation=None, process="", cause="stalled", key="stalled:worker:w1",
        severity=Severity.ERROR, details={"kind": "worker", "name": "w1"},
    )  # fmt: skip
    theirs = fail_invoice(InvoiceFactory().organisation)

    listed = list(services.open_incidents_for(organisation))

    assert [i.severity for i in listed] == ["critical", "error", "warning"]
    assert platform in listed
    assert not any(i.organisation_id == theirs.organisation_id for i in listed)
    assert listed[2].latest_records[0].record_label == str(
        Incident.objects.get(organisation=organisation, cause=Cause.MISSING_DATA)
        .members.get()
        .record_label
    )


def test_the_bar_counts_open_incidents_by_severity(organisation):
    fail_invoice(organisation)
    fail_invoice(organisation, details={"fields": [{"model": "customer", "field": "city"}]})
    fail_invoice(organisation, cause=Cause.CONNECTIVITY, details={"service": "smtp"})

    summary = services.bar_summary(organisation.pk)

    assert summary["total"] == 3
    assert [(s, n) for s, _, n in summary["by_severity"]] == [("critical", 1), ("warning", 2)]


def test_the_bar_counts_beyond_its_drawer(organisation):
    for n in range(services.DRAWER_SIZE + 2):
        fail_invoice(organisation, details={"fields": [{"model": "customer", "field": f"f{n}"}]})

    summary = services.bar_summary(organisation.pk)

    assert summary["total"] == services.DRAWER_SIZE + 2
    assert len(summary["incidents"]) == services.DRAWER_SIZE
    assert summary["more"] == 2


def test_the_core_names_no_process():
    """Labels come from the registry: the incidents app knows processes by value only."""
    from pathlib import Path

    from activity import processes

    source = "\n".join(p.read_text() for p in Path(services.__file__).parent.glob("*.py"))
    declared = processes.all_processes()
    assert declared
    for process in declared:
        assert process.name not in source
        assert process.name.upper() not in source


@pytest.mark.parametrize(
    ("details", "headline"),
    [
        (
            {"error": "KeyError", "traceback": "..."},
            "2 invoices failed — internal error (KeyError)",
        ),
        (
            {"error": "WorkerLost", "reason": "worker_lost", "attempts": 3},
            "2 invoices failed — the worker stopped during each of the last 3 attempts "
            "(stopped, out of memory or crashed), so it is no longer retried by itself",
        ),
        (
            {"reason": "platform_schema_invalid", "remote": "BR-CO-10"},
            "2 invoices failed — the e-invoicing platform found the file invalid against its "
            "schema: “BR-CO-10”",
        ),
    ],
)
def test_an_internal_incident_says_what_went_wrong(organisation, details, headline):
    """Never "internal error " with nothing after it: a named failure reads as its name."""
    for _ in range(2):
        fail_invoice(organisation, cause=Cause.INTERNAL, details=details)

    with translation.override("en"):
        assert Incident.objects.get().headline == headline


@pytest.mark.parametrize(
    ("language", "headline"),
    [
        ("en", "2 refunds refused by the payment provider"),
        ("fr", "Le prestataire de paiement a refusé 2 remboursements"),
    ],
)
def test_a_refusal_reads_as_a_sentence_in_each_language(organisation, language, headline):
    incident = Incident(
        organisation=organisation,
        process="refund",
        cause=Cause.REFUSED,
        service="provider",
        affected=2,
        details={"remote": "card_declined"},
    )

    with translation.override(language):
        assert incident.headline == headline


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_time_today_is_written_on_24_hours_in_both_languages(language):
    from django.utils import timezone

    from incidents.phrasing import since

    evening = timezone.localtime().replace(hour=19, minute=5)
    with translation.override(language):
        assert since(evening) == "19:05"
