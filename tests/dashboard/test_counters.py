"""The dashboard's counters follow every status change, in its transaction."""

import random

import pytest
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from activity import services as activity
from activity.errors import Unreachable
from dashboard import counters
from dashboard.models import Counter
from invoices.models import Invoice
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

S = Invoice.Status
CAUSES = ["missing_data", "wrong_settings", "connectivity", "internal"]


def _table(organisation) -> dict[tuple[str, str], int]:
    return {
        ("invoice_generation", status): n
        for status, n in Invoice.objects.for_organisation(organisation)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    }


def _counted(organisation) -> dict[tuple[str, str], int]:
    return {k: n for k, n in counters.status_counts(organisation.pk).items() if n}


def _random_step(rng: random.Random, organisation) -> None:
    invoices = list(Invoice.objects.for_organisation(organisation))
    record = rng.choice(invoices)
    qs = Invoice.objects
    step = rng.choice(["claim", "requeue", "fail", "succeed", "transition", "create", "delete"])
    if step == "claim":
        qs.claim(record, task_id=rng.choice(["a", "b"]), stale_before=timezone.now())
    elif step == "requeue":
        qs.requeue(
            record,
            from_statuses=[rng.choice(S.values)],
            task_id="r",
            restart=rng.random() < 0.5,
            error=Unreachable("smtp", "down") if rng.random() < 0.5 else None,
        )
    elif step == "fail":
        qs.mark_failed(
            record,
            cause=rng.choice(CAUSES),
            message="m",
            details={},
            from_statuses=[rng.choice(S.values)],
        )
    elif step == "succeed":
        qs.mark_succeeded(record, status=S.GENERATED, from_statuses=[rng.choice(S.values)])
    elif step == "transition":
        qs.transition(record, to=rng.choice(S.values), from_statuses=rng.sample(S.values, 3))
    elif step == "create":
        InvoiceFactory(organisation=organisation, customer=record.customer)
    elif len(invoices) > 1 and record.status == S.DRAFT:
        record.lines.all().delete()
        record.delete()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counters_equal_the_lists_after_random_transitions(seed, organisation):
    rng = random.Random(seed)
    for status in rng.choices(S.values, k=20):
        InvoiceFactory(organisation=organisation, status=status)

    for _ in range(300):
        _random_step(rng, organisation)

    assert _counted(organisation) == _table(organisation)
    counters.compact()
    assert Counter.objects.filter(day__isnull=True).count() <= len(S.values)
    assert _counted(organisation) == _table(organisation)


def test_the_failed_counter_matches_the_failed_list(accountant_client, organisation):
    rng = random.Random(7)
    for status in rng.choices(S.values, k=30):
        InvoiceFactory(organisation=organisation, status=status)
    for _ in range(200):
        _random_step(rng, organisation)

    response = accountant_client.get(reverse("invoices:list"), {"status": S.FAILED})

    listed = response.context["page"].paginator.count
    assert (
        counters.status_counts(organisation.pk).get(("invoice_generation", S.FAILED), 0) == listed
    )


def test_a_rolled_back_change_is_not_counted(organisation):
    invoice = InvoiceFactory(organisation=organisation, status=S.QUEUED)
    before = _counted(organisation)

    def claim_then_fail() -> None:
        with transaction.atomic():
            Invoice.objects.claim(invoice, task_id="t", stale_before=timezone.now())
            raise RuntimeError

    with pytest.raises(RuntimeError):
        claim_then_fail()

    assert _counted(organisation) == before


def test_each_failure_is_counted_on_its_day_with_its_cause(organisation):
    invoices = InvoiceFactory.create_batch(3, organisation=organisation, status=S.GENERATING)
    for invoice, cause in zip(
        invoices, ["missing_data", "missing_data", "connectivity"], strict=True
    ):
        Invoice.objects.mark_failed(invoice, cause=cause, message="m", details={})

    rows = counters.daily(organisation.pk, timezone.localdate())

    failures = {(cause, n) for _day, _p, status, cause, n, _a in rows if status == S.FAILED}
    assert failures == {("missing_data", 2), ("connectivity", 1)}


def test_recount_rebuilds_counts_changed_behind_the_querysets_back(organisation):
    InvoiceFactory.create_batch(2, organisation=organisation, status=S.DRAFT)
    Invoice.objects.filter(organisation=organisation).update(status=S.FAILED)  # raw: not seen
    assert _counted(organisation) != _table(organisation)

    counters.recount([organisation.pk])

    assert _counted(organisation) == _table(organisation) == {("invoice_generation", S.FAILED): 2}


def test_records_created_or_requeued_together_are_counted(accountant):
    from emails import services as emails
    from emails.models import EmailMessage
    from tests.emails.helpers import generated_invoice

    organisation = accountant.organisation
    invoices = [generated_invoice(organisation, number=f"F-2026-{n:06d}") for n in range(1, 4)]
    failed = InvoiceFactory.create_batch(2, organisation=organisation, status=S.FAILED)

    emails.send_invoices(
        organisation=organisation, invoice_ids=[i.pk for i in invoices], actor=accountant
    )
    activity.queue_records(model=Invoice, ids=[i.pk for i in failed], from_statuses=(S.FAILED,))

    counts = counters.status_counts(organisation.pk)
    assert counts[("email_delivery", EmailMessage.Status.QUEUED)] == 3
    assert counts[("invoice_generation", S.QUEUED)] == 2
    assert counts[("invoice_generation", S.FAILED)] == 0
