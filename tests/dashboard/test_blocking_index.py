"""The dashboard's "blocking customers" reads only the failures for missing data, through a
partial index of each tracked model: an organisation's other failures (thousands of
bounced e-mails) are never scanned (issue 15: a dashboard that does not grow with the
data; bench/dashboard_growth.py measured 2.0 ms → 13.8 ms for this query alone from
10,000 to 1,000,000 rows before the index, 0.2 ms at both sizes with it)."""

import pytest
from django.db import connection
from django.db.models import Q

from activity import processes
from activity.choices import Cause
from dashboard.views import missing_data_failures
from emails.models import EmailMessage
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "process", [p.name for p in processes.all_processes()], ids=lambda name: name
)
def test_each_tracked_model_indexes_its_failures_for_missing_data(process):
    model = processes.get(process).model
    (index,) = [
        index
        for index in model._meta.indexes
        if index.condition == Q(last_cause=Cause.MISSING_DATA)
    ]
    assert index.fields[:2] == ["organisation", "status"]


def test_thousands_of_bounced_e_mails_are_not_read_to_find_the_blocking_customers():
    organisation = OrganisationFactory.create()
    EmailMessage.objects.bulk_create(
        EmailMessage(
            organisation=organisation,
            status=EmailMessage.Status.BOUNCED if n % 2 else EmailMessage.Status.FAILED,
            last_cause=Cause.CONNECTIVITY if n % 3 else "",
            recipients=[f"client{n}@example.com"],
            recipient=f"client{n}@example.com",
            subject=f"Facture F-2026-{n:06d}",
            message_id=f"<test-{n}@example.com>",
        )
        for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE emails_emailmessage")

    plan = missing_data_failures(EmailMessage, organisation)[:2000].explain()

    assert "email_org_missing_data" in plan, plan
