"""The freeze's one exception: the parties of an issued invoice nobody received (an
e-invoice the platform rejected) are taken again, and nothing else changes."""

import pytest
from django.db import DatabaseError, connection, transaction

from invoices import services
from invoices.models import FrozenDocumentError, Invoice
from tests.factories import InvoiceFactory
from tests.invoices.helpers import generate_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(organisation) -> Invoice:
    invoice = generate_now(InvoiceFactory.create(organisation=organisation))
    assert invoice.status == Invoice.Status.GENERATED
    return invoice


def test_the_buyer_is_taken_again_from_the_fixed_customer(issued):
    customer = issued.customer
    customer.siren = "552032534"
    customer.save()
    number, total, lines = issued.number, issued.total_incl_vat, list(issued.lines.all())

    assert services.retake_parties(invoice=issued)

    issued.refresh_from_db()
    assert issued.buyer["siren"] == "552032534"
    assert (issued.number, issued.total_incl_vat, list(issued.lines.all())) == (
        number,
        total,
        lines,
    )


def test_nothing_changes_when_the_parties_are_the_same(issued):
    assert not services.retake_parties(invoice=issued)


def test_the_orm_still_refuses_to_change_the_buyer_otherwise(issued):
    with pytest.raises(FrozenDocumentError):
        Invoice.objects.filter(pk=issued.pk).update(buyer={})


@pytest.mark.postgresql(reason="the trigger is PostgreSQL's")
def test_sql_after_a_retake_in_the_same_transaction_is_refused_again(issued):
    customer = issued.customer
    customer.legal_name = "Client renommé SAS"
    customer.save()

    def retake_then_update_by_sql():
        with transaction.atomic():
            assert services.retake_parties(invoice=issued)
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE invoices_invoice SET buyer = '{}'::jsonb WHERE id = %s", [issued.pk]
                )

    with pytest.raises(DatabaseError, match="issued"):
        retake_then_update_by_sql()
