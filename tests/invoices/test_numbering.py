"""Gapless invoice numbering: one series per organisation and year, never a gap or a twin."""

import contextlib
import threading
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection, transaction

from activity.errors import MissingData, Unreachable
from invoices import services
from invoices.models import Invoice, NumberSequence
from tests.conftest import wait_for
from tests.factories import InvoiceFactory, OrganisationFactory

postgresql_only = pytest.mark.postgresql(reason="real concurrent transactions need PostgreSQL")


def _generating(invoice: Invoice) -> Invoice:
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.GENERATING)
    invoice.refresh_from_db()
    return invoice


@pytest.mark.django_db
def test_invoices_are_numbered_one_after_another(organisation):
    numbers = [
        services.assign_invoice_number(
            invoice=InvoiceFactory(organisation=organisation), today=date(2026, 3, 2)
        ).number
        for _ in range(3)
    ]

    assert numbers == ["F-2026-000001", "F-2026-000002", "F-2026-000003"]


@pytest.mark.django_db
def test_a_numbered_invoice_keeps_its_number_when_numbered_again(organisation):
    invoice = InvoiceFactory(organisation=organisation)
    first = services.assign_invoice_number(invoice=invoice, today=date(2026, 3, 2))

    again = services.assign_invoice_number(invoice=invoice, today=date(2027, 1, 5))

    assert again.number == first.number == "F-2026-000001"
    assert again.issue_date == date(2026, 3, 2)
    assert NumberSequence.objects.get(organisation=organisation).last_value == 1


@pytest.mark.django_db
def test_the_number_carries_the_year_of_issue_and_each_year_starts_again(organisation):
    december = services.assign_invoice_number(
        invoice=InvoiceFactory(organisation=organisation), today=date(2025, 12, 31)
    )
    january = services.assign_invoice_number(
        invoice=InvoiceFactory(organisation=organisation), today=date(2026, 1, 1)
    )

    assert december.number == "F-2025-000001"
    assert january.number == "F-2026-000001"


@pytest.mark.django_db
def test_each_organisation_has_its_own_series(organisation):
    other = OrganisationFactory()
    other.company_settings.invoice_prefix = "ACME"
    other.company_settings.save()
    today = date(2026, 5, 1)

    mine = [
        services.assign_invoice_number(
            invoice=InvoiceFactory(organisation=organisation), today=today
        )
        for _ in range(2)
    ]
    theirs = services.assign_invoice_number(invoice=InvoiceFactory(organisation=other), today=today)

    assert [i.number for i in mine] == ["F-2026-000001", "F-2026-000002"]
    assert theirs.number == "ACME-2026-000001"


@pytest.mark.django_db
def test_a_draft_blocked_by_missing_data_burns_no_number(organisation):
    blocked = _generating(
        InvoiceFactory(organisation=organisation, customer__street="", customer__postal_code="")
    )
    with pytest.raises(MissingData):
        services.generate_invoice(invoice=blocked)
    blocked.refresh_from_db()

    complete = _generating(InvoiceFactory(organisation=organisation))
    services.generate_invoice(invoice=complete)
    complete.refresh_from_db()

    assert blocked.number is None
    assert not NumberSequence.objects.filter(last_value__gt=1).exists()
    assert complete.number.endswith("-000001")


@pytest.mark.django_db
def test_a_failed_then_retried_generation_keeps_its_number(organisation, settings, tmp_path):
    invoice = _generating(InvoiceFactory(organisation=organisation))
    working_media = settings.MEDIA_ROOT
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the storage expects a folder")
    settings.MEDIA_ROOT = blocker / "media"

    with pytest.raises(Unreachable) as failure:
        services.generate_invoice(invoice=invoice)
    numbered = Invoice.objects.get(pk=invoice.pk)

    settings.MEDIA_ROOT = working_media
    services.generate_invoice(invoice=numbered)
    generated = Invoice.objects.get(pk=invoice.pk)
    following = services.assign_invoice_number(invoice=InvoiceFactory(organisation=organisation))

    assert failure.value.service == "storage"
    assert numbered.number is not None
    assert numbered.status == Invoice.Status.GENERATING
    assert generated.status == Invoice.Status.GENERATED
    assert generated.number == numbered.number
    assert Path(generated.pdf.path).name == f"{numbered.number}.pdf"
    assert int(following.number[-6:]) == int(numbered.number[-6:]) + 1


def _race(targets: list[Invoice]) -> tuple[list[str], list[BaseException]]:
    """Number each target in a thread of its own, all at once: the numbers they got."""
    start = threading.Barrier(len(targets))
    numbers: list[str] = []
    errors: list[BaseException] = []

    def issue(invoice: Invoice) -> None:
        try:
            start.wait(timeout=30)
            numbered = services.assign_invoice_number(invoice=invoice, today=date(2026, 6, 15))
            numbers.append(numbered.number or "")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(invoice,)) for invoice in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return numbers, errors


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_generations_get_fifty_consecutive_numbers(organisation):
    invoices = [InvoiceFactory(organisation=organisation) for _ in range(50)]
    # No series row yet: the first 50 issuers also race to create it.
    assert not NumberSequence.objects.exists()

    got, errors = _race(invoices)

    assert not errors, errors
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == sorted(got) == [f"F-2026-{n:06d}" for n in range(1, 51)]
    assert NumberSequence.objects.get(organisation=organisation, year=2026).last_value == 50


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_invoices_generated_by_four_worker_processes_at_once_are_consecutive(
    start_worker, accountant
):
    start_worker(concurrency=4, name="numbering")
    invoices = [InvoiceFactory(organisation=accountant.organisation) for _ in range(16)]

    for invoice in invoices:
        services.issue_invoice(invoice=invoice, actor=accountant)

    wait_for(
        lambda: Invoice.objects.filter(status=Invoice.Status.GENERATED).count() == 16, timeout=60
    )
    generated = list(Invoice.objects.all())
    year = generated[0].issue_date.year
    assert sorted(i.number for i in generated) == [f"F-{year}-{n:06d}" for n in range(1, 17)]
    assert {i.attempts for i in generated} == {1}


@pytest.mark.django_db
def test_an_invoice_loaded_before_another_caller_numbered_it_gets_the_stored_number(
    organisation,
):
    invoice = InvoiceFactory(organisation=organisation)
    loaded_earlier = Invoice.objects.get(pk=invoice.pk)
    first = services.assign_invoice_number(invoice=invoice, today=date(2026, 3, 2))

    again = services.assign_invoice_number(invoice=loaded_earlier, today=date(2026, 3, 9))

    assert loaded_earlier.number is None  # not numbered in memory: the stored one is read
    assert again.number == first.number == "F-2026-000001"
    assert again.issue_date == date(2026, 3, 2)
    assert NumberSequence.objects.get(organisation=organisation).last_value == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("last_value", "expected"), [(8, "F-2026-000009"), (999_999, "F-2026-1000000")]
)
def test_the_number_has_at_least_six_digits_and_more_past_a_million(
    organisation, last_value, expected
):
    NumberSequence.objects.create(
        organisation=organisation, kind="invoice", year=2026, last_value=last_value
    )

    invoice = services.assign_invoice_number(
        invoice=InvoiceFactory(organisation=organisation), today=date(2026, 3, 2)
    )

    assert invoice.number == expected
    assert Invoice.objects.get(pk=invoice.pk).number == expected


@postgresql_only
@pytest.mark.django_db
def test_on_postgresql_numbering_is_one_statement_once_the_series_exists(organisation):
    from django.test.utils import CaptureQueriesContext

    from accounts.models import loaded_company_settings

    services.assign_invoice_number(invoice=InvoiceFactory(organisation=organisation))
    # Loaded as generation loads it: customer, settings and lines with the invoice.
    invoice = Invoice.objects.for_generation().get(pk=InvoiceFactory(organisation=organisation).pk)
    company = loaded_company_settings(invoice.organisation)

    with CaptureQueriesContext(connection) as queries:
        numbered = services.assign_invoice_number(invoice=invoice, company=company)

    assert len(queries) == 1, [q["sql"] for q in queries]
    stored = Invoice.objects.get(pk=invoice.pk)
    assert numbered.number == stored.number
    assert (stored.issue_date, stored.due_date) == (numbered.issue_date, numbered.due_date)
    assert stored.seller == numbered.seller
    assert stored.buyer == numbered.buyer
    assert stored.seller["legal_name"] == "Atelier Test SARL"
    assert stored.total_incl_vat == numbered.total_incl_vat > 0
    assert stored.updated_at == numbered.updated_at


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_simultaneous_numberings_once_the_series_exists_are_consecutive(organisation):
    services.assign_invoice_number(
        invoice=InvoiceFactory(organisation=organisation), today=date(2026, 6, 15)
    )
    invoices = [InvoiceFactory(organisation=organisation) for _ in range(40)]

    got, errors = _race(invoices)

    assert not errors, errors
    assert sorted(got) == [f"F-2026-{n:06d}" for n in range(2, 42)]
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"F-2026-{n:06d}" for n in range(1, 42)]
    assert NumberSequence.objects.get(organisation=organisation, year=2026).last_value == 41


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_twenty_callers_numbering_the_same_invoice_at_once_take_one_number(organisation):
    services.assign_invoice_number(
        invoice=InvoiceFactory(organisation=organisation), today=date(2026, 6, 15)
    )
    invoice = InvoiceFactory(organisation=organisation)
    copies = [Invoice.objects.get(pk=invoice.pk) for _ in range(20)]  # each unnumbered

    got, errors = _race(copies)

    assert not errors, errors
    assert got == ["F-2026-000002"] * 20
    assert Invoice.objects.get(pk=invoice.pk).number == "F-2026-000002"
    assert NumberSequence.objects.get(organisation=organisation, year=2026).last_value == 2


@pytest.mark.django_db
def test_a_number_rolled_back_with_its_transaction_is_not_trusted_from_memory(organisation):
    invoice = Invoice.objects.for_generation().get(pk=InvoiceFactory(organisation=organisation).pk)
    with contextlib.suppress(RuntimeError), transaction.atomic():
        services.assign_invoice_number(invoice=invoice, today=date(2026, 3, 2))
        raise RuntimeError("the caller's transaction fails after numbering")
    assert invoice.number == "F-2026-000001"  # still in memory, not in the database

    again = services.assign_invoice_number(invoice=invoice, today=date(2026, 3, 2))
    other = services.assign_invoice_number(
        invoice=InvoiceFactory(organisation=organisation), today=date(2026, 3, 2)
    )

    assert Invoice.objects.get(pk=invoice.pk).number == again.number == "F-2026-000001"
    assert other.number == "F-2026-000002"


def _waiting_on_a_lock(timeout: float = 10) -> None:
    """Until another session waits for a row lock (what the test expects it to do)."""

    def waiting() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            return cursor.fetchone()[0] > 0

    wait_for(waiting, timeout=timeout)


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("other_commits", [True, False])
def test_a_numbering_waits_for_the_invoice_lock_and_then_reads_what_the_holder_did(
    organisation, other_commits
):
    """Another transaction holds the invoice row (numbering it): our single statement waits
    for it before touching the series, then takes no number if the invoice got one, or
    numbers it if that transaction rolled back."""
    services.assign_invoice_number(
        invoice=InvoiceFactory(organisation=organisation), today=date(2026, 6, 15)
    )
    invoice = InvoiceFactory(organisation=organisation)
    unnumbered = Invoice.objects.get(pk=invoice.pk)
    holder = psycopg.connect(
        **{
            key: value
            for key, value in connection.get_connection_params().items()
            if key in {"host", "port", "user", "password", "dbname"}
        }
    )
    try:
        holder.execute("SELECT id FROM invoices_invoice WHERE id = %s FOR UPDATE", (invoice.pk,))
        result: dict[str, Any] = {}

        def number() -> None:
            try:
                result["invoice"] = services.assign_invoice_number(
                    invoice=unnumbered, today=date(2026, 6, 15)
                )
            except BaseException as exc:  # reported below
                result["error"] = exc
            finally:
                connection.close()

        thread = threading.Thread(target=number)
        thread.start()
        _waiting_on_a_lock()
        holder.execute(
            "UPDATE invoices_numbersequence SET last_value = last_value + 1 "
            "WHERE organisation_id = %s AND kind = 'invoice' AND year = 2026",
            (organisation.pk,),
        )
        holder.execute(
            "UPDATE invoices_invoice SET number = 'F-2026-000002' WHERE id = %s", (invoice.pk,)
        )
        if other_commits:
            holder.commit()
        else:
            holder.rollback()
        thread.join(timeout=30)
    finally:
        holder.close()

    assert "error" not in result, result.get("error")
    assert result["invoice"].number == "F-2026-000002"
    assert Invoice.objects.get(pk=invoice.pk).number == "F-2026-000002"
    assert NumberSequence.objects.get(organisation=organisation, year=2026).last_value == 2
