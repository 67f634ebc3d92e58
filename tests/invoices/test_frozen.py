"""An issued invoice never changes: not through the ORM, the admin or (PostgreSQL) SQL;
only the bookkeeping columns (status, amounts paid/credited/refunded, PDF, automation)."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from invoices.models import FrozenDocumentError, Invoice, InvoiceLine
from tests.factories import CustomerFactory, InvoiceFactory
from tests.invoices.helpers import generate_now

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.postgresql(reason="the trigger exists on PostgreSQL only")


@pytest.fixture
def issued(organisation) -> Invoice:
    invoice = generate_now(InvoiceFactory.create(organisation=organisation))
    assert invoice.number
    assert invoice.status == Invoice.Status.GENERATED
    return invoice


def _stored(invoice: Invoice) -> tuple:
    row = Invoice.objects.get(pk=invoice.pk)
    lines = list(InvoiceLine.objects.filter(invoice=invoice).values_list("unit_price", flat=True))
    return row.number, row.customer_id, row.total_incl_vat, lines


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("total_incl_vat", Decimal("1.00")),
        ("number", "F-2026-999999"),
        ("notes", "rewritten"),
        ("issue_date", None),
    ],
)
def test_saving_a_changed_frozen_field_raises(issued, field, value):
    before = _stored(issued)
    setattr(issued, field, value)
    with pytest.raises(FrozenDocumentError, match=field):
        issued.save()
    assert _stored(issued) == before


def test_changing_the_customer_of_an_issued_invoice_raises(issued, organisation):
    before = _stored(issued)
    issued.customer = CustomerFactory.create(organisation=organisation)
    with pytest.raises(FrozenDocumentError):
        issued.save(update_fields=["customer"])
    assert _stored(issued) == before


def test_lines_of_an_issued_invoice_cannot_change_be_added_or_deleted(issued):
    before = _stored(issued)
    line = issued.lines.get()
    line.unit_price = Decimal("1.00")
    with pytest.raises(FrozenDocumentError):
        line.save()
    with pytest.raises(FrozenDocumentError):
        line.delete()
    with pytest.raises(FrozenDocumentError):
        InvoiceLine.objects.create(
            invoice=issued, description="x", quantity=1, unit_price=1, vat_rate=20
        )
    with pytest.raises(FrozenDocumentError):
        InvoiceLine.objects.filter(invoice=issued).update(unit_price=Decimal("1.00"))
    assert _stored(issued) == before


def test_queryset_update_and_delete_of_issued_invoices_are_refused(issued):
    with pytest.raises(FrozenDocumentError):
        Invoice.objects.filter(pk=issued.pk).update(total_incl_vat=Decimal("1.00"))
    issued.total_incl_vat = Decimal("1.00")
    with pytest.raises(FrozenDocumentError), transaction.atomic():
        Invoice.objects.bulk_update([issued], ["total_incl_vat"])
    with pytest.raises(FrozenDocumentError):
        issued.delete()
    with pytest.raises(FrozenDocumentError):
        Invoice.objects.filter(pk=issued.pk).delete()
    assert Invoice.objects.get(pk=issued.pk).total_incl_vat == Decimal("240.00")


def test_bookkeeping_columns_still_change(issued):
    issued.status = Invoice.Status.PAID
    issued.amount_paid = issued.total_incl_vat
    issued.save()
    Invoice.objects.filter(pk=issued.pk).update(attempts=7, last_error="")
    issued.refresh_from_db()
    assert (issued.status, issued.amount_paid, issued.attempts) == ("paid", Decimal("240.00"), 7)


def test_a_draft_is_still_edited_and_deleted_freely(organisation):
    draft = InvoiceFactory.create(organisation=organisation)
    line = draft.lines.get()
    line.unit_price = Decimal("1.00")
    line.save()
    draft.notes = "free"
    draft.save()
    draft.delete()
    assert not Invoice.objects.filter(pk=draft.pk).exists()


# --- Django admin, as superuser ---------------------------------------------------


@pytest.fixture
def superuser_client(admin_user) -> Client:
    admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    return client


def test_the_admin_shows_an_issued_invoice_read_only_and_refuses_a_change(issued, superuser_client):
    url = reverse("admin:invoices_invoice_change", args=[issued.pk])
    page = superuser_client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # view only: no save button, no inputs
    line = issued.lines.get()
    response = superuser_client.post(
        url,
        {
            "customer": issued.customer_id,
            "currency": "EUR",
            "notes": "changed",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
            "lines-0-id": line.pk,
            "lines-0-invoice": issued.pk,
            "lines-0-description": line.description,
            "lines-0-quantity": "2",
            "lines-0-unit_price": "1.00",
            "lines-0-vat_rate": "20",
        },
    )
    assert response.status_code == 403
    assert _stored(issued)[2:] == (Decimal("240.00"), [Decimal("100.00")])


def test_the_admin_cannot_delete_an_issued_invoice(issued, superuser_client):
    url = reverse("admin:invoices_invoice_delete", args=[issued.pk])
    assert superuser_client.post(url, {"post": "yes"}).status_code == 403
    changelist = superuser_client.get(reverse("admin:invoices_invoice_changelist"))
    assert b"delete_selected" not in changelist.content
    assert Invoice.objects.filter(pk=issued.pk).exists()


def test_the_admin_still_edits_a_draft(organisation, superuser_client):
    draft = InvoiceFactory.create(organisation=organisation)
    page = superuser_client.get(reverse("admin:invoices_invoice_change", args=[draft.pk]))
    assert b'name="_save"' in page.content


# --- PostgreSQL trigger ------------------------------------------------------------


@postgresql_only
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE invoices_invoice SET total_incl_vat = 1 WHERE id = %s",
        "UPDATE invoices_invoice SET number = 'F-2026-999999' WHERE id = %s",
        "UPDATE invoices_invoice SET buyer = '{}'::jsonb WHERE id = %s",
        "UPDATE invoices_invoice SET customer_id = customer_id + 0, notes = 'x' WHERE id = %s",
        "DELETE FROM invoices_invoice WHERE id = %s",
        "UPDATE invoices_invoiceline SET unit_price = 1 WHERE invoice_id = %s",
        "DELETE FROM invoices_invoiceline WHERE invoice_id = %s",
        "INSERT INTO invoices_invoiceline (invoice_id, position, description, quantity,"
        " unit_price, vat_rate, vat_category, vat_exemption_reason)"
        " VALUES (%s, 9, 'x', 1, 1, 20, 'S', '')",
    ],
)
def test_sql_cannot_change_an_issued_invoice(issued, sql):
    before = _stored(issued)
    with (
        pytest.raises(DatabaseError, match="issued"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [issued.pk])
    assert _stored(issued) == before


@postgresql_only
def test_the_trigger_allows_exactly_the_bookkeeping_columns(issued):
    """The trigger's arguments are Invoice.BOOKKEEPING_FIELDS: a column added later is
    frozen unless both lists name it."""
    bookkeeping = {
        f.column for f in Invoice._meta.concrete_fields if f.name in Invoice.BOOKKEEPING_FIELDS
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgargs FROM pg_trigger WHERE tgname = 'invoice_issued_frozen'")
        (raw,) = cursor.fetchone()
        allowed = {arg for arg in bytes(raw).decode().split("\x00") if arg}
        assert allowed == bookkeeping
        for column in sorted(bookkeeping):
            cursor.execute(
                f"UPDATE invoices_invoice SET {column} = {column} WHERE id = %s",  # noqa: S608
                [issued.pk],
            )
