"""Batch runs: start once, hand records over in chunks, follow progress, cancel, retry."""

import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from batches import services
from batches.models import Batch, BatchItem
from invoices.models import Invoice
from invoices.processes import GENERATION
from tests.conftest import HTMX
from tests.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

# User (the session is cached), permissions (2), organisation, batch, item states, record
# statuses, failures by cause, failed records, role (top bar), the alert bar's open
# incidents and their latest records (2; not in the fragment, which has no bar).
MAX_QUERIES = 12


def _run_queued(organisation) -> None:
    """Run each queued generation in this process, as a worker would."""
    for pk, task_id in (
        Invoice.objects.for_organisation(organisation)
        .filter(status=Invoice.Status.QUEUED)
        .values_list("pk", "task_id")
    ):
        GENERATION.task.apply(args=[pk], task_id=task_id)


def _drafts(organisation, n: int, broken: int = 0) -> list[Invoice]:
    good = CustomerFactory.create(organisation=organisation)
    bad = CustomerFactory.create(organisation=organisation, legal_name="Sans Adresse", street="")
    return [InvoiceFactory.create(organisation=organisation, customer=good) for _ in range(n)] + [
        InvoiceFactory.create(organisation=organisation, customer=bad) for _ in range(broken)
    ]


def _start_month(client) -> Batch:
    response = client.post(reverse("batches:generate_month"), {"token": "abc"})
    assert response.status_code == 302
    return Batch.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1])


def test_the_preview_says_how_many_drafts_the_month_batch_will_issue(
    accountant_client, organisation
):
    _drafts(organisation, 3)

    html = accountant_client.get(reverse("batches:generate_month")).content.decode()

    assert "3 draft invoices will be issued and generated" in html
    assert 'name="token"' in html


def test_a_double_submit_starts_one_batch_and_queues_each_record_once(
    accountant_client, organisation
):
    _drafts(organisation, 3)

    first = _start_month(accountant_client)
    second = _start_month(accountant_client)

    assert first == second
    assert first.total == 3
    assert Invoice.objects.filter(status=Invoice.Status.QUEUED).count() == 3
    assert set(first.items.values_list("state", flat=True)) == {BatchItem.State.QUEUED}


def test_the_batch_reaches_100_percent_and_lists_each_failure_with_its_cause(
    accountant_client, organisation
):
    _drafts(organisation, 3, broken=2)
    batch = _start_month(accountant_client)
    running = services.progress(batch)
    assert (running.remaining, running.percent, running.finished) == (5, 0, False)

    _run_queued(organisation)

    response = accountant_client.get(batch.get_absolute_url(), headers=HTMX)
    html = response.content.decode()
    progress = response.context["progress"]
    assert (progress.done, progress.failed, progress.remaining) == (3, 2, 0)
    assert progress.percent == 100
    assert progress.finished
    assert 'hx-trigger="every 2s"' not in html  # finished: no more polling
    assert html.count('<span class="badge cause-missing_data">Missing data</span>') == 3
    for invoice in Invoice.objects.filter(status=Invoice.Status.FAILED):
        assert f'href="{invoice.get_absolute_url()}"' in html


def test_fixing_the_customers_then_bulk_retry_completes_the_failures(
    accountant_client, organisation
):
    _drafts(organisation, 2, broken=2)
    _start_month(accountant_client)
    _run_queued(organisation)
    preview_url = reverse("batches:retry")
    params = {"process": "invoice_generation", "cause": "missing_data"}

    preview = accountant_client.get(preview_url, params).content.decode()
    assert "2 failed invoices for “Missing data” — retry them?" in preview
    narrowed = accountant_client.get(preview_url, {**params, "field": "street"})
    assert (
        "2 failed invoices because “street” is missing — retry them?" in narrowed.content.decode()
    )

    CustomerFactory._meta.model.objects.filter(legal_name="Sans Adresse").update(street="1 rue")
    response = accountant_client.post(preview_url, {**params, "token": "retry-1"})
    again = accountant_client.post(preview_url, {**params, "token": "retry-1"})
    assert response["Location"] == again["Location"]
    batch = Batch.objects.get(action="retry")
    assert batch.total == 2
    assert Invoice.objects.filter(status=Invoice.Status.QUEUED).count() == 2
    _run_queued(organisation)

    progress = services.progress(batch)
    assert (progress.done, progress.failed, progress.finished) == (2, 0, True)
    assert not Invoice.objects.filter(status=Invoice.Status.FAILED).exists()


def test_a_large_batch_is_handed_over_in_chunks_by_the_worker_task(organisation):
    _drafts(organisation, services.CHUNK + 5)
    batch = services.start_batch(
        organisation=organisation, action="generate_month", params={}, actor=None, token="big"
    )

    assert services.fill_batch(batch.pk, max_chunks=1) == services.CHUNK
    assert services.progress(batch).waiting == 5
    assert services.fill_batch(batch.pk) == 5
    assert services.fill_batch(batch.pk) == 0  # a second run finds nothing to do
    assert Invoice.objects.filter(status=Invoice.Status.QUEUED).count() == services.CHUNK + 5


def test_a_record_no_longer_eligible_is_skipped_not_queued(organisation):
    first, second = _drafts(organisation, 2)
    batch = services.start_batch(
        organisation=organisation, action="generate_month", params={}, actor=None, token="s"
    )
    Invoice.objects.filter(pk=second.pk).delete()

    services.fill_batch(batch.pk)

    assert services.progress(batch).skipped == 1
    assert Invoice.objects.get(pk=first.pk).status == Invoice.Status.QUEUED


def test_the_batch_page_query_count_is_pinned(
    accountant_client, organisation, django_assert_max_num_queries
):
    _drafts(organisation, 4, broken=3)
    batch = _start_month(accountant_client)
    _run_queued(organisation)
    # The first look writes twice, once: the batch's end and the alert bar's organisation
    # in the session.
    accountant_client.get(batch.get_absolute_url())

    with django_assert_max_num_queries(MAX_QUERIES):
        page = accountant_client.get(batch.get_absolute_url())
    with django_assert_max_num_queries(MAX_QUERIES - 2):
        fragment = accountant_client.get(batch.get_absolute_url(), headers=HTMX)

    assert page.status_code == fragment.status_code == 200


def test_another_organisations_batch_is_not_found(other_accountant_client, organisation):
    _drafts(organisation, 1)
    batch = services.start_batch(
        organisation=organisation, action="generate_month", params={}, actor=None, token="x"
    )

    assert other_accountant_client.get(batch.get_absolute_url()).status_code == 404
    assert (
        other_accountant_client.post(reverse("batches:cancel", args=[batch.pk])).status_code == 404
    )


def test_bulk_retry_of_an_unknown_process_is_not_found(accountant_client):
    assert accountant_client.get(reverse("batches:retry"), {"process": "nope"}).status_code == 404


def test_cancel_stops_the_hand_over_and_gives_queued_records_back(accountant_client, organisation):
    _drafts(organisation, services.CHUNK + 3)
    batch = services.start_batch(
        organisation=organisation, action="generate_month", params={}, actor=None, token="c"
    )
    services.fill_batch(batch.pk, max_chunks=1)
    started = Invoice.objects.filter(status=Invoice.Status.QUEUED).order_by("pk").first()
    Invoice.objects.claim(started, task_id=started.task_id, stale_before=timezone.now())

    response = accountant_client.post(reverse("batches:cancel", args=[batch.pk]), headers=HTMX)

    assert response.status_code == 200
    assert services.fill_batch(batch.pk) == 0  # nothing handed over after a cancel
    statuses = dict(Invoice.objects.values_list("status").annotate(n=Count("pk")).order_by())
    # The started one finishes; every other record is a draft again.
    assert statuses == {Invoice.Status.GENERATING: 1, Invoice.Status.DRAFT: services.CHUNK + 2}
    progress = response.context["progress"]
    assert progress.cancelled == services.CHUNK + 2
    assert progress.running == 1
    assert "Cancelling: the records already started finish" in response.content.decode()
    assert accountant_client.post(reverse("batches:cancel", args=[batch.pk])).status_code == 302


def test_bulk_send_from_the_list_is_a_batch_of_the_organisations_invoices_only(
    accountant_client, accountant
):
    from emails.models import EmailMessage
    from tests.emails.helpers import generated_invoice
    from tests.factories import OrganisationFactory

    mine = [generated_invoice(accountant.organisation, number=f"F-2026-00010{i}") for i in (1, 2)]
    theirs = generated_invoice(OrganisationFactory(), number="F-2026-000103")

    response = accountant_client.post(
        reverse("batches:send_invoices"),
        {"ids": [i.pk for i in [*mine, theirs]], "token": "bulk-1"},
    )

    batch = Batch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == batch.get_absolute_url()
    assert batch.total == 2
    assert set(EmailMessage.objects.values_list("invoice_id", flat=True)) == {i.pk for i in mine}


def _statements_to_send_as_a_batch(client, organisation, count: int, first: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.emails.helpers import generated_invoice

    ids = [
        generated_invoice(organisation, number=f"F-2026-{n:06d}").pk
        for n in range(first, first + count)
    ]
    with CaptureQueriesContext(connection) as queries:
        client.post(reverse("batches:send_invoices"), {"ids": ids, "token": f"t{first}"})
    return len(queries)


def test_a_bulk_send_batch_hands_a_chunk_over_in_the_same_statements_for_2_or_20(
    accountant_client, organisation
):
    _statements_to_send_as_a_batch(accountant_client, organisation, 1, first=1)  # caches warm
    few = _statements_to_send_as_a_batch(accountant_client, organisation, 2, first=10)
    many = _statements_to_send_as_a_batch(accountant_client, organisation, 20, first=100)

    assert few == many
