"""Generated invoices and credit notes are Factur-X files (PDF/A-3b + factur-x.xml)."""

from decimal import Decimal

import facturx
import pytest
from pypdf import PdfReader

from einvoicing import facturx as fx
from einvoicing.cii import read_totals
from invoices.models import Invoice
from refunds import services as refunds
from tests.factories import InvoiceFactory
from tests.invoices.helpers import generate_now
from tests.refunds.conftest import paid_invoice

from .helpers import embedded_files, pdf_catalog, xmp, xpath

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    from io import BytesIO

    return " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def _assert_factur_x(pdf: bytes) -> bytes:
    """PDF/A-3b, exactly one embedded factur-x.xml (AFRelationship Data), XSD-valid, and
    the factur-x library extracts it back. Returns the XML."""
    assert list(embedded_files(pdf)) == ["factur-x.xml"]
    catalog = pdf_catalog(pdf)
    (filespec,) = [ref.get_object() for ref in catalog["/AF"]]
    assert filespec["/AFRelationship"] == "/Data"
    assert "/OutputIntents" in catalog  # the PDF/A colour profile WeasyPrint writes
    metadata = xmp(pdf)
    assert "<pdfaid:part>3</pdfaid:part>" in metadata
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in metadata
    filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml"
    return xml


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param([("Conseil", "2", "100.00", "20")], id="domestic"),
        pytest.param(
            [
                ("Conseil", "2", "100.00", "20"),
                ("Travaux", "3", "45.50", "10"),
                ("Livres", "7", "12.99", "5.5"),
                ("Presse", "1", "3.90", "2.1"),
            ],
            id="mixed rates",
        ),
    ],
)
def test_a_generated_invoice_is_a_factur_x_whose_totals_are_the_pdfs(organisation, lines):
    invoice = generate_now(InvoiceFactory(organisation=organisation, lines=lines))
    assert invoice.status == Invoice.Status.GENERATED
    pdf = invoice.pdf.read()

    xml = _assert_factur_x(pdf)

    totals = read_totals(xml)
    assert totals["TaxBasisTotalAmount"] == invoice.total_excl_vat
    assert totals["TaxTotalAmount"] == invoice.total_vat
    assert totals["GrandTotalAmount"] == invoice.total_incl_vat
    text = _text(pdf)
    for amount in (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat):
        assert f"{amount:.2f}".replace(".", ",") in text
    assert xpath(xml, "//rsm:ExchangedDocument/ram:ID") == [invoice.number]
    assert fx.extract_xml(pdf) == xml


def test_a_credit_note_is_a_factur_x_381_referring_to_its_invoice(organisation, accountant):
    invoice = paid_invoice(organisation)
    refund = refunds.request_refund(
        invoice=invoice, amount=Decimal("60.00"), reason="Geste", requested_by=accountant
    )
    assert refunds.settle_refunded(refund=refund, from_statuses=(refund.status,))
    credit_note = invoice.credit_notes.get()

    xml = _assert_factur_x(credit_note.pdf.read())

    assert xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert xpath(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [invoice.number]
    totals = read_totals(xml)
    assert totals["GrandTotalAmount"] == credit_note.amount == Decimal("60.00")
    assert totals["TaxTotalAmount"] == credit_note.total_vat
