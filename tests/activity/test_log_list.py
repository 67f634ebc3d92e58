"""The Activity Log page: filters, keyset pagination, the htmx results fragment."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from activity.models import ActivityLog, Cause, Event, Level
from invoices.models import Invoice
from tests.conftest import HTMX
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db
URL = reverse("activity:log")
PARIS = ZoneInfo("Europe/Paris")


def make_entry(organisation, label: str = "F-2026-000001", **fields) -> ActivityLog:
    """An entry written as the runner would, with any field chosen by the test."""
    defaults = {
        "process": "invoice_generation",
        "event": Event.STARTED,
        "level": Level.INFO,
        "content_type": ContentType.objects.get_for_model(Invoice),
        "object_id": 1,
        "record_label": label,
    }
    return ActivityLog.objects.create(organisation=organisation, **{**defaults, **fields})


def _labels(response) -> list[str]:
    return [entry.record_label for entry in response.context["page"].items]


def test_it_lists_the_organisations_entries_newest_first(accountant_client, organisation):
    old = make_entry(organisation, label="old")
    new = make_entry(organisation, label="new")
    make_entry(InvoiceFactory().organisation, label="someone else's")

    response = accountant_client.get(URL)

    assert response.status_code == 200
    assert [e.pk for e in response.context["page"].items] == [new.pk, old.pk]
    assert "someone else&#x27;s" not in response.content.decode()
    assert b"<html" in response.content


def test_it_escapes_what_the_entries_say(accountant_client, organisation):
    make_entry(organisation, message="<script>alert(1)</script>")

    content = accountant_client.get(URL).content.decode()

    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["mail 3", "F-2026-0000421", "refund 1", "F-2026-000042", "F-2026-000001"]),
        ({"process": "refund"}, ["refund 1"]),
        ({"cause": Cause.CONNECTIVITY}, ["mail 3"]),
        ({"level": Level.ERROR}, ["mail 3", "F-2026-000042"]),
        ({"event": Event.FAILED}, ["mail 3", "F-2026-000042"]),
        ({"record": "F-2026-000042"}, ["F-2026-000042"]),  # exact, not a prefix
        ({"record": " F-2026-000042 "}, ["F-2026-000042"]),
        ({"process": "invoice_generation", "cause": Cause.MISSING_DATA}, ["F-2026-000042"]),
        ({"process": "refund", "cause": Cause.MISSING_DATA}, []),
    ],
)
def test_it_filters_the_entries(accountant_client, organisation, query, expected):
    make_entry(organisation, label="F-2026-000001")
    make_entry(
        organisation,
        label="F-2026-000042",
        event=Event.FAILED,
        level=Level.ERROR,
        cause=Cause.MISSING_DATA,
    )
    make_entry(organisation, label="refund 1", process="refund")
    make_entry(organisation, label="F-2026-0000421")
    make_entry(
        organisation,
        label="mail 3",
        process="email_delivery",
        event=Event.FAILED,
        level=Level.ERROR,
        cause=Cause.CONNECTIVITY,
    )

    response = accountant_client.get(URL, query)

    assert not response.context["form"].errors
    assert _labels(response) == expected


def test_it_filters_on_a_date_range_in_local_time(accountant_client, organisation):
    make_entry(organisation, label="before", created_at=datetime(2026, 3, 1, 23, 59, tzinfo=PARIS))
    make_entry(organisation, label="first day", created_at=datetime(2026, 3, 2, 0, 0, tzinfo=PARIS))
    make_entry(
        organisation, label="last day", created_at=datetime(2026, 3, 4, 23, 59, tzinfo=PARIS)
    )
    make_entry(organisation, label="after", created_at=datetime(2026, 3, 5, 0, 0, tzinfo=PARIS))

    response = accountant_client.get(URL, {"date_from": "2026-03-02", "date_to": "2026-03-04"})

    assert _labels(response) == ["last day", "first day"]


def test_it_reports_a_date_range_that_ends_before_it_starts(accountant_client, organisation):
    response = accountant_client.get(URL, {"date_from": "2026-03-04", "date_to": "2026-03-02"})

    assert response.status_code == 200
    assert response.context["form"].errors


def test_it_pages_with_a_cursor_through_every_entry_once(accountant_client, organisation):
    created = [make_entry(organisation, label=f"entry {n}").pk for n in range(120)]

    seen: list[int] = []
    pages = 0
    query: dict[str, str] = {"process": "invoice_generation"}
    while True:
        response = accountant_client.get(URL, query, headers=HTMX)
        page = response.context["page"]
        seen += [entry.pk for entry in page.items]
        pages += 1
        if not page.has_next:
            break
        assert f"cursor={page.next_cursor}" in response.content.decode()
        assert "process=invoice_generation" in response.content.decode()  # filters kept
        query["cursor"] = str(page.next_cursor)

    assert pages == 3
    assert seen == sorted(created, reverse=True)


def test_a_page_costs_the_same_queries_deep_in_the_log(
    accountant_client, organisation, django_assert_max_num_queries
):
    entries = [make_entry(organisation, label=f"entry {n}") for n in range(60)]

    with django_assert_max_num_queries(8):
        first = accountant_client.get(URL, headers=HTMX)
    with django_assert_max_num_queries(8):
        deep = accountant_client.get(URL, {"cursor": entries[5].pk}, headers=HTMX)

    assert first.status_code == deep.status_code == 200
    assert len(deep.context["page"].items) == 5


def test_a_malformed_cursor_shows_the_first_page(accountant_client, organisation):
    make_entry(organisation)

    response = accountant_client.get(URL, {"cursor": "1 OR 1=1"})

    assert response.status_code == 200
    assert len(response.context["page"].items) == 1


def test_the_htmx_request_gets_only_the_results(accountant_client, organisation):
    make_entry(organisation, label="F-2026-000007")

    response = accountant_client.get(URL, headers=HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="results">')
    assert "F-2026-000007" in content
    assert "<html" not in content


def test_it_refuses_other_roles_and_methods(support_client, accountant_client):
    assert support_client.get(URL).status_code == 403
    assert accountant_client.post(URL).status_code == 405
