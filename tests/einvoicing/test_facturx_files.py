"""Generated invoices and credit notes are Factur-X files (PDF/A-3b + factur-x.xml)."""

from decimal import Decimal

import pytest
from pypdf import PdfReader

from accounts.models import CompanySettings
from einvoicing import facturx as fx
from einvoicing.cii import read_totals
from invoices.models import Invoice, OperationCategory
from refunds import credit_notes
from refunds import services as refunds
from tests.factories import InvoiceFactory
from tests.invoices.helpers import generate_now
from tests.refunds.conftest import paid_invoice

from .helpers import assert_factur_x, xpath

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    from io import BytesIO

    return " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def _franchise(organisation):
    CompanySettings.objects.filter(organisation=organisation).update(
        vat_regime=CompanySettings.VatRegime.FRANCHISE, vat_number=""
    )


# The VAT cases of the legal-mentions issue, issued through the legal flow (a draft from the
# factories, then generation): (buyer, lines, settings change, categories, exemption text).
VAT_CASES = {
    "domestic": ({}, [("Conseil", "2", "100.00", "20")], None, ["S"], None),
    "mixed rates": (
        {},
        [
            ("Conseil", "2", "100.00", "20"),
            ("Travaux", "3", "45.50", "10"),
            ("Livres", "7", "12.99", "5.5"),
            ("Presse", "1", "3.90", "2.1"),
        ],
        None,
        ["S", "S", "S", "S"],
        None,
    ),
    "franchise": (
        {},
        [("Cours", "2", "60.00", "0", "E")],
        _franchise,
        ["E"],
        "TVA non applicable, art. 293 B du CGI",
    ),
    "reverse charge": (
        {"country": "BE", "siren": "", "vat_number": "BE0403019261"},
        [("Audit", "1", "900.00", "0", "AE")],
        None,
        ["AE"],
        "Autoliquidation — art. 283-2 du CGI et art. 196 de la directive 2006/112/CE",
    ),
    "intra-EU goods": (
        {"country": "DE", "siren": "", "vat_number": "DE136695976"},
        [("Machine", "1", "5000.00", "0", "K")],
        None,
        ["K"],
        "Exonération de TVA, article 262 ter, I du CGI",
    ),
    "export": (
        {"country": "US", "siren": "", "vat_number": ""},
        [("Machine", "1", "5000.00", "0", "G")],
        None,
        ["G"],
        "Exonération de TVA, article 262 I du CGI",
    ),
}


GOODS = {"intra-EU goods", "export"}


@pytest.mark.parametrize("case", list(VAT_CASES))
def test_each_vat_case_is_a_factur_x_whose_totals_are_the_pdfs(organisation, case):
    buyer, lines, prepare, categories, exemption = VAT_CASES[case]
    if prepare is not None:
        prepare(organisation)
    draft = InvoiceFactory(
        organisation=organisation,
        lines=lines,
        operation_category=OperationCategory.GOODS if case in GOODS else OperationCategory.SERVICES,
        **{f"customer__{field}": value for field, value in buyer.items()},
    )
    invoice = generate_now(draft)
    assert invoice.status == Invoice.Status.GENERATED, invoice.last_error
    pdf = invoice.pdf.read()

    xml = assert_factur_x(pdf)

    totals = read_totals(xml)
    assert totals["TaxBasisTotalAmount"] == invoice.total_excl_vat
    assert totals["TaxTotalAmount"] == invoice.total_vat
    assert totals["GrandTotalAmount"] == invoice.total_incl_vat
    text = _text(pdf)
    for amount in (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat):
        assert _french(amount) in text
    assert xpath(xml, "//rsm:ExchangedDocument/ram:ID") == [invoice.number]
    line_categories = "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode"
    assert xpath(xml, line_categories) == categories
    reasons = xpath(
        xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:ExemptionReason"
    )
    assert reasons == ([exemption] if exemption else [])
    if exemption:
        assert exemption in " ".join(text.split())  # the PDF prints the same wording
    # The buyer and seller as the frozen invoice states them.
    assert xpath(xml, "//ram:BuyerTradeParty/ram:Name") == [invoice.buyer["legal_name"]]
    assert xpath(xml, "//ram:SellerTradeParty/ram:Name") == [invoice.seller["legal_name"]]
    assert fx.extract_xml(pdf) == xml


def _french(amount: Decimal) -> str:
    """ "5 000,00" as the PDF prints it (narrow no-break space between thousands)."""
    whole, cents = f"{amount:.2f}".split(".")
    groups = f"{int(whole):,}".split(",")
    return "\u202f".join(groups) + "," + cents


def test_a_correction_credit_note_is_a_factur_x_381_with_its_lines(organisation, accountant):
    invoice = generate_now(
        InvoiceFactory(
            organisation=organisation,
            lines=[("Conseil", "2", "100.00", "20"), ("Livres", "3", "10.00", "5.5")],
        )
    )
    line = invoice.lines.get(description="Conseil")
    credit_note = credit_notes.credit_invoice(
        invoice=invoice,
        reason="Une journée non réalisée",
        actor=accountant,
        lines=[credit_notes.CreditedLine(line, Decimal("1"), line.unit_price)],
    )

    xml = assert_factur_x(credit_note.pdf.read())

    assert xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert xpath(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [invoice.number]
    assert xpath(xml, "//ram:IncludedSupplyChainTradeLineItem//ram:Name") == ["Conseil"]
    totals = read_totals(xml)
    assert totals["GrandTotalAmount"] == credit_note.amount == Decimal("120.00")
    assert totals["TaxTotalAmount"] == credit_note.total_vat == Decimal("20.00")


def test_a_credit_note_is_a_factur_x_381_referring_to_its_invoice(organisation, accountant):
    invoice = paid_invoice(organisation)
    refund = refunds.request_refund(
        invoice=invoice, amount=Decimal("60.00"), reason="Geste", requested_by=accountant
    )
    assert refunds.settle_refunded(refund=refund, from_statuses=(refund.status,))
    credit_note = invoice.credit_notes.get()

    xml = assert_factur_x(credit_note.pdf.read())

    assert xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert xpath(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [invoice.number]
    totals = read_totals(xml)
    assert totals["GrandTotalAmount"] == credit_note.amount == Decimal("60.00")
    assert totals["TaxTotalAmount"] == credit_note.total_vat
