"""The Activity Log as CSV: the filtered entries of the user's organisation, every column."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from activity.models import Cause, Event, Level
from tests.activity.test_log_list import make_entry
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
