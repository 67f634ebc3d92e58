"""Where the blocks of an invoice's page sit, read back from the PDF: the seller and the
customer side by side, the seller's at the left and the customer's at the right, both
above the lines (templates/pdf/base.html lays them out as two table cells, not a flex box:
the same page, laid out faster)."""

import io

import pytest
from pypdf import PdfReader

from invoices.pdf import render_invoice_pdf
from tests.factories import CustomerFactory, InvoiceFactory
from tests.invoices.helpers import generate_now

pytestmark = pytest.mark.django_db


def text_positions(content: bytes) -> tuple[float, dict[str, tuple[float, float]]]:
    """The page width, and the (x, y) where each text run of the first page starts (PDF
    coordinates: y grows upwards)."""
    page = PdfReader(io.BytesIO(content)).pages[0]
    found: dict[str, tuple[float, float]] = {}

    def visit(text, user_matrix, text_matrix, font, size):
        text = " ".join(text.split())
        if text and text not in found:
            # WeasyPrint places each run with its text matrix, under the page's flip.
            x = text_matrix[4] * user_matrix[0] + user_matrix[4]
            y = text_matrix[5] * user_matrix[3] + user_matrix[5]
            found[text] = (x, y)

    page.extract_text(visitor_text=visit)
    return float(page.mediabox.width), found


def at(found: dict[str, tuple[float, float]], start: str) -> tuple[float, float]:
    matches = [position for text, position in found.items() if text.startswith(start)]
    assert matches, f"{start!r} not on the page: {sorted(found)}"
    return matches[0]


def test_the_seller_and_the_customer_sit_side_by_side_above_the_lines(organisation):
    customer = CustomerFactory.create(
        organisation=organisation,
        legal_name="Client Très Long Nom De Société Anonyme Par Actions Simplifiée",
    )
    invoice = generate_now(
        InvoiceFactory.create(
            organisation=organisation,
            customer=customer,
            lines=[("Conseil", "1", "100.00", "20")],
        )
    )
    width, found = text_positions(render_invoice_pdf(invoice))
    seller_x, seller_y = at(found, "VENDEUR")
    customer_x, customer_y = at(found, "CLIENT")
    lines_x, lines_y = at(found, "Désignation")
    legal_name_x, _ = at(found, "Client Très Long")

    assert seller_y == pytest.approx(customer_y, abs=0.5)  # one row
    assert seller_x < width * 0.2
    assert lines_x == pytest.approx(seller_x, abs=12)
    # The customer's block starts past the middle (48 % + a 4 % gap of the text width).
    assert width * 0.5 < customer_x < width * 0.6
    assert legal_name_x == pytest.approx(customer_x, abs=0.5)
    # Both blocks end above the lines (the seller's is the taller one: it has five lines).
    assert lines_y < at(found, "RCS Paris")[1] < seller_y
