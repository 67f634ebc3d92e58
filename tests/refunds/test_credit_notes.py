"""Credit notes correct or cancel an issued invoice (AV- series), independently of refunds."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from invoices.models import FrozenDocumentError, Invoice
from refunds import services as refunds
from refunds.credit_notes import CreditedLine, CreditNoteRefused, credit_invoice
from refunds.models import CreditNote, Refund
from tests.factories import InvoiceFactory
from tests.invoices.helpers import generate_now
from tests.invoices.test_legal_mentions import pdf_text

from .helpers import run_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(organisation) -> Invoice:
    """240 € incl. VAT: 2 x Conseil at 100 € + 20 % VAT."""
    invoice = generate_now(InvoiceFactory.create(organisation=organisation))
    assert invoice.status == Invoice.Status.GENERATED
    return invoice


def test_cancelling_by_credit_note_credits_every_line(issued, accountant):
    note = credit_invoice(invoice=issued, reason="Commande annulée", actor=accountant)
    issued.refresh_from_db()
    year = timezone.localdate().year
    assert note.number == f"AV-{year}-000001"
    assert note.kind == CreditNote.Kind.CANCELLATION
    assert (note.total_excl_vat, note.total_vat, note.amount) == (
        Decimal("200.00"),
        Decimal("40.00"),
        Decimal("240.00"),
    )
    assert (issued.amount_credited, issued.amount_remaining) == (Decimal("240.00"), 0)
    assert issued.status == Invoice.Status.CANCELLED
    text = pdf_text(note.pdf.read())
    for mention in [
        f"Avoir {note.number}",
        f"Se rapportant à la facture {issued.number} du {issued.issue_date:%d/%m/%Y}",
        "Motif : Commande annulée",
        "Conseil 2 100,00 € 20 % -200,00 €",
        "Total TTC crédité -240,00 €",
        "SIREN : 732829320",
        "RCS Paris",
    ]:
        assert mention in text, mention


def test_a_partial_credit_note_credits_chosen_lines_and_amounts(issued, accountant):
    line = issued.lines.get()
    note = credit_invoice(
        invoice=issued,
        reason="Une journée non effectuée",
        actor=accountant,
        lines=[CreditedLine(invoice_line=line, quantity=Decimal("1"), unit_price=line.unit_price)],
    )
    issued.refresh_from_db()
    assert note.kind == CreditNote.Kind.PARTIAL
    assert note.amount == Decimal("120.00")
    assert (issued.amount_credited, issued.amount_remaining) == (Decimal("120.00"), 120)
    assert issued.status == Invoice.Status.GENERATED
    # What is left on the line can still be credited; more cannot.
    with pytest.raises(CreditNoteRefused, match="left to credit"):
        credit_invoice(
            invoice=issued,
            reason="x",
            actor=accountant,
            lines=[CreditedLine(invoice_line=line, quantity=Decimal("2"), unit_price=Decimal(100))],
        )
    with pytest.raises(CreditNoteRefused, match="already partly credited"):
        credit_invoice(invoice=issued, reason="x", actor=accountant)
    assert CreditNote.objects.count() == 1


@pytest.mark.parametrize(
    ("reason", "draft", "message"), [("", False, "reason"), ("ok", True, "issued invoice")]
)
def test_a_credit_note_needs_a_reason_and_an_issued_invoice(
    organisation, issued, accountant, reason, draft, message
):
    invoice = InvoiceFactory.create(organisation=organisation) if draft else issued
    with pytest.raises(CreditNoteRefused, match=message):
        credit_invoice(invoice=invoice, reason=reason, actor=accountant)
    assert not CreditNote.objects.exists()


def test_stored_credit_note_totals_equal_their_lines(issued, accountant):
    from invoices.models import compute_totals

    note = credit_invoice(invoice=issued, reason="Erreur de prix", actor=accountant)
    totals = compute_totals(note.lines.all())
    assert (note.total_excl_vat, note.total_vat, note.amount) == (
        totals.excl_vat,
        totals.vat,
        totals.incl_vat,
    )


def test_an_issued_credit_note_never_changes(issued, accountant):
    note = CreditNote.objects.get(
        pk=credit_invoice(invoice=issued, reason="Annulation", actor=accountant).pk
    )
    note.amount = Decimal("1.00")
    with pytest.raises(FrozenDocumentError):
        note.save()
    with pytest.raises(FrozenDocumentError):
        note.delete()
    with pytest.raises(FrozenDocumentError):
        CreditNote.objects.filter(pk=note.pk).update(reason="rewritten")
    with pytest.raises(FrozenDocumentError):
        note.lines.first().delete()
    if connection.vendor == "postgresql":
        for sql in (
            "UPDATE refunds_creditnote SET amount = 1 WHERE id = %s",
            "DELETE FROM refunds_creditnote WHERE id = %s",
            "UPDATE refunds_creditnoteline SET unit_price = 1 WHERE credit_note_id = %s",
        ):
            with (
                pytest.raises(DatabaseError),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql, [note.pk])
    assert CreditNote.objects.get(pk=note.pk).amount == Decimal("240.00")


def test_a_refund_after_a_cancellation_credits_nothing_twice(issued, accountant):
    """Paid, then cancelled by credit note (the customer is owed 240 €), then refunded: the
    refund pays the money back without a second credit note."""
    from payments.services import record_payment

    record_payment(
        invoice=issued, amount=Decimal("240.00"), paid_on=timezone.localdate(), actor=accountant
    )
    credit_invoice(invoice=issued, reason="Annulation", actor=accountant)
    issued.refresh_from_db()
    assert issued.amount_remaining == Decimal("-240.00")
    refund = refunds.request_refund(
        invoice=issued, amount=Decimal("240.00"), reason="Annulation", requested_by=accountant
    )
    refund = run_now(refund)
    assert refund.status == Refund.Status.AWAITING_TRANSFER
    assert refunds.confirm_transfer(refund=refund, actor=accountant)
    issued.refresh_from_db()
    assert CreditNote.objects.filter(invoice=issued).count() == 1
    assert (issued.amount_credited, issued.amount_refunded, issued.amount_remaining) == (
        Decimal("240.00"),
        Decimal("240.00"),
        0,
    )


def test_corrections_and_refunds_share_one_gapless_av_series(issued, accountant, organisation):
    from payments.services import record_payment

    line = issued.lines.get()
    one_day = CreditedLine(invoice_line=line, quantity=Decimal("1"), unit_price=line.unit_price)
    credit_invoice(invoice=issued, reason="Une journée", actor=accountant, lines=[one_day])
    with pytest.raises(CreditNoteRefused):  # refused: takes no number
        credit_invoice(
            invoice=issued,
            reason="Trop",
            actor=accountant,
            lines=[CreditedLine(invoice_line=line, quantity=Decimal("2"), unit_price=Decimal(100))],
        )
    paid = generate_now(InvoiceFactory.create(organisation=organisation))
    record_payment(
        invoice=paid, amount=Decimal("240.00"), paid_on=timezone.localdate(), actor=accountant
    )
    refund = run_now(
        refunds.request_refund(
            invoice=paid, amount=Decimal("50.00"), reason="Geste", requested_by=accountant
        )
    )
    assert refunds.confirm_transfer(refund=refund, actor=accountant)

    year = timezone.localdate().year
    assert list(CreditNote.objects.order_by("id").values_list("number", "kind")) == [
        (f"AV-{year}-000001", CreditNote.Kind.PARTIAL),
        (f"AV-{year}-000002", CreditNote.Kind.REFUND),
    ]


def test_the_admin_shows_a_credit_note_read_only_and_never_deletes_it(
    issued, accountant, admin_user
):
    from django.test import Client
    from django.urls import reverse

    admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    note = credit_invoice(invoice=issued, reason="Annulation", actor=accountant)
    change = reverse("admin:refunds_creditnote_change", args=[note.pk])

    page = client.get(change)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(change, {"reason": "rewritten", "amount": "1"}).status_code == 403
    delete = reverse("admin:refunds_creditnote_delete", args=[note.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    stored = CreditNote.objects.get(pk=note.pk)
    assert (stored.reason, stored.amount) == ("Annulation", Decimal("240.00"))
