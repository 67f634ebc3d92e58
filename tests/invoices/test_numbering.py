"""Gapless invoice numbering: one series per organisation and year, never a gap or a twin."""

import threading
from datetime import date
from pathlib import Path

import pytest
from django.db import close_old_connections, connection

from activity.errors import MissingData, Unreachable
from invoices import services
from invoices.models import Invoice, NumberSequence
from tests.conftest import wait_for
from tests.factories import InvoiceFactory, OrganisationFactory

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL"
)


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


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_generations_get_fifty_consecutive_numbers(organisation):
    invoices = [InvoiceFactory(organisation=organisation) for _ in range(50)]
    # No series row yet: the first 50 issuers also race to create it.
    assert not NumberSequence.objects.exists()
    start = threading.Barrier(len(invoices))
    errors: list[BaseException] = []

    def issue(invoice: Invoice) -> None:
        try:
            start.wait(timeout=30)
            services.assign_invoice_number(invoice=invoice, today=date(2026, 6, 15))
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=issue, args=(invoice,)) for invoice in invoices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"F-2026-{n:06d}" for n in range(1, 51)]
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
