"""The Activity Log as CSV: the filtered entries of the user's organisation, every column."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from activity.models import Cause, Event, Level
from tests.activity.test_log_list import make_entry
from tests.conftest import HTMX
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
URL = reverse("activity:log_export")


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body)))


def test_it_exports_every_column_of_the_entries(accountant_client, organisation, accountant):
    make_entry(
        organisation,
        label="F-2026-000003",
        created_at=datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("UTC")),
        event=Event.FAILED,
        level=Level.ERROR,
        cause=Cause.CONNECTIVITY,
        message='storage unreachable — "disk", full',
        attempt=3,
        trigger="retry",
        actor=accountant,
        task_id="abc-123",
        worker="host:42",
        duration_ms=1234,
    )

    response = accountant_client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    header, row = _rows(response)
    assert header == [
        "time",
        "process",
        "event",
        "level",
        "record",
        "cause",
        "message",
        "attempt",
        "trigger",
        "actor",
        "task_id",
        "worker",
        "duration_ms",
    ]
    assert row == [
        "2026-03-02T09:30:00+00:00",
        "invoice_generation",
        "failed",
        "error",
        "F-2026-000003",
        "connectivity",
        'storage unreachable — "disk", full',
        "3",
        "retry",
        accountant.username,
        "abc-123",
        "host:42",
        "1234",
    ]


def test_it_exports_only_the_filtered_entries_of_the_organisation(accountant_client, organisation):
    make_entry(organisation, label="mine, refund", process="refund")
    make_entry(organisation, label="mine, invoice")
    make_entry(OrganisationFactory(), label="theirs", process="refund")

    rows = _rows(accountant_client.get(URL, {"process": "refund"}))

    assert [row[4] for row in rows[1:]] == ["mine, refund"]


def test_it_exports_a_header_when_nothing_matches(accountant_client):
    assert _rows(accountant_client.get(URL)) == [_rows(accountant_client.get(URL))[0]]


def test_it_refuses_other_roles_and_methods(support_client, accountant_client):
    assert support_client.get(URL).status_code == 403
    assert accountant_client.post(URL).status_code == 405


def _spreadsheet_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_the_french_spreadsheet_csv_has_semicolons_a_bom_local_times_and_french_labels(
    accountant_client, organisation
):
    make_entry(
        organisation,
        label="F-2026-000003",
        created_at=datetime(2026, 7, 2, 9, 30, tzinfo=ZoneInfo("UTC")),
        event=Event.FAILED,
        level=Level.ERROR,
        cause=Cause.CONNECTIVITY,
        message="storage unreachable",
        details={"service": "storage", "error": "disk full"},
        attempt=3,
    )

    response = accountant_client.get(
        reverse("activity:log_export_excel"), headers={"Accept-Language": "fr"}
    )

    assert response.status_code == 200
    header, row = _spreadsheet_rows(response)
    assert header[:3] == ["Date et heure", "Processus", "Événement"]
    assert row[0] == "02/07/2026 11:30:00"  # Paris summer time
    assert row[1:6] == [
        "Génération de facture",
        "Échouée",
        "Erreur",
        "F-2026-000003",
        "Connectivité",
    ]
    assert row[7] == "3"


def test_the_xlsx_export_holds_the_same_rows_with_real_dates(accountant_client, organisation):
    from openpyxl import load_workbook

    make_entry(
        organisation,
        label="F-2026-000004",
        created_at=datetime(2026, 1, 5, 8, 0, tzinfo=ZoneInfo("UTC")),
        process="refund",
    )

    response = accountant_client.get(reverse("activity:log_export_xlsx"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Time", "Process")
    # Local time (Paris, winter), without a zone: Excel has none.
    assert rows[1][0] == datetime(2026, 1, 5, 9, 0, tzinfo=ZoneInfo("Europe/Paris")).replace(
        tzinfo=None
    )
    assert rows[1][1:5] == ("Refund", "Started", "Information", "F-2026-000004")


@pytest.mark.parametrize("name", ["log_export", "log_export_excel", "log_export_xlsx"])
def test_every_export_honours_the_filters(name, accountant_client, organisation):
    make_entry(organisation, label="kept", process="refund")
    make_entry(organisation, label="filtered out")

    response = accountant_client.get(reverse(f"activity:{name}"), {"process": "refund"})

    body = b"".join(response.streaming_content)
    if name == "log_export_xlsx":
        from openpyxl import load_workbook

        labels = [r[4] for r in load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True)]
    else:
        labels = body.decode("utf-8-sig")
    assert "kept" in labels
    assert "filtered out" not in labels


def test_a_filter_applied_in_place_updates_the_export_links(accountant_client):
    response = accountant_client.get(
        reverse("activity:log"), {"process": "refund", "cause": "missing_data"}, headers=HTMX
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results">')
    for name in ("log_export", "log_export_excel", "log_export_xlsx"):
        assert f'href="{reverse(f"activity:{name}")}?process=refund&amp;cause=missing_data"' in html


def test_text_like_a_formula_stays_text_in_every_export(accountant_client, organisation):
    """CSV injection: a server's reply quoted in a message ("=cmd|…", "@SUM(…)") or a record
    named like a formula never runs when an export is opened; the raw CSV, for scripts,
    keeps the text as stored."""
    from openpyxl import load_workbook

    formula = '=HYPERLINK("http://evil.example/","x")'
    make_entry(organisation, label=formula, message="@SUM(1+1)*cmd|' /C calc'!A0")

    xlsx = accountant_client.get(reverse("activity:log_export_xlsx"))
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    record, message = sheet.cell(row=2, column=5), sheet.cell(row=2, column=7)
    assert (record.value, record.data_type) == (formula, "s")
    assert message.data_type == "s"
    assert message.value.startswith("@SUM(1+1)")

    excel = accountant_client.get(reverse("activity:log_export_excel"))
    body = b"".join(excel.streaming_content).decode("utf-8").lstrip("\ufeff")
    row = list(csv.reader(io.StringIO(body)))[1]
    assert row[4] == "'" + formula
    assert row[6].startswith("'@SUM(1+1)")

    raw = accountant_client.get(reverse("activity:log_export"))
    row = list(csv.reader(io.StringIO(b"".join(raw.streaming_content).decode())))[1]
    assert row[4] == formula
