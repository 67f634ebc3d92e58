"""Every mention French law requires, read back from the rendered PDF, case by case
(CGI art. 242 nonies A, 293 B, 283-2, 262 ter I, 262 I; C. com. L441-9/L441-10, D441-5,
R123-237; décret 2022-1299)."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from accounts.models import CompanySettings
from invoices.models import Customer, Invoice, OperationCategory
from invoices.pdf import render_invoice_pdf
from tests.factories import CustomerFactory, InvoiceFactory
from tests.invoices.helpers import generate_now

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    """The PDF's text on one line; digit grouping removed ("10 000,00" reads "10000,00")."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    text = re.sub(r"(?<=\d)[\u202f\xa0](?=\d{3}\b)", "", text)
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def issue(organisation, *, lines, customer=None, **invoice_fields) -> tuple[Invoice, str]:
    customer = customer or CustomerFactory.create(organisation=organisation)
    invoice = InvoiceFactory.create(
        organisation=organisation, customer=customer, lines=lines, **invoice_fields
    )
    invoice = generate_now(invoice)
    assert invoice.status == Invoice.Status.GENERATED, invoice.last_error
    return invoice, pdf_text(invoice.pdf.read())


# Seller (R123-237, CGI 242 nonies A) and payment (L441-9, L441-10, D441-5) mentions that
# every invoice to a business carries.
COMMON = [
    "Atelier Test SARL, SARL au capital de 10000,00 €",
    "12 rue des Lilas",
    "SIREN : 732829320",
    "RCS Paris",
    "numéro de TVA intracommunautaire : FR44732829320",
    "Pas d'escompte pour paiement anticipé.",
    "Pénalités de retard : 12 % par an",
    "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €",
]


def test_domestic_goods(organisation):
    invoice, text = issue(
        organisation,
        lines=[("Chaise", "4", "50.00", "20")],
        operation_category=OperationCategory.GOODS,
        delivery_date=date(2026, 11, 2),
    )
    for mention in [*COMMON, "Livraison de biens", "02/11/2026", "TVA 20 % sur 200,00 €"]:
        assert mention in text, mention
    assert f"Facture {invoice.number}" in text
    assert "SIREN : 542051180" in text  # the buyer's, a business (décret 2022-1299)
    assert "Total TTC 240,00 €" in text


def test_domestic_services_over_a_period(organisation):
    _invoice, text = issue(
        organisation,
        lines=[("Conseil", "3", "400.00", "20")],
        operation_category=OperationCategory.SERVICES,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
    )
    for mention in [*COMMON, "Prestation de services", "Période : du 01/10/2026 au 31/10/2026"]:
        assert mention in text, mention


def test_franchise_en_base(organisation):
    CompanySettings.objects.filter(organisation=organisation).update(
        vat_regime=CompanySettings.VatRegime.FRANCHISE, vat_number=""
    )
    _invoice, text = issue(organisation, lines=[("Cours", "2", "60.00", "0", "E")])
    assert "TVA non applicable, art. 293 B du CGI" in text
    assert "Total TTC 120,00 €" in text


def test_intra_eu_reverse_charge_on_services(organisation):
    customer = CustomerFactory.create(
        organisation=organisation, country="BE", siren="", vat_number="BE0403019261"
    )
    _invoice, text = issue(
        organisation, customer=customer, lines=[("Audit", "1", "900.00", "0", "AE")]
    )
    assert "Autoliquidation — art. 283-2 du CGI et art. 196 de la directive 2006/112/CE" in text
    assert "numéro de TVA intracommunautaire : BE0403019261" in text
    assert "Total TTC 900,00 €" in text


def test_intra_eu_supply_of_goods(organisation):
    customer = CustomerFactory.create(
        organisation=organisation, country="DE", siren="", vat_number="DE136695976"
    )
    _invoice, text = issue(
        organisation,
        customer=customer,
        lines=[("Machine", "1", "5000.00", "0", "K")],
        operation_category=OperationCategory.GOODS,
    )
    assert "Exonération de TVA, article 262 ter, I du CGI" in text
    assert "numéro de TVA intracommunautaire : DE136695976" in text


def test_export_outside_the_eu(organisation):
    customer = CustomerFactory.create(
        organisation=organisation, country="US", siren="", vat_number=""
    )
    customer.refresh_from_db()
    _invoice, text = issue(
        organisation,
        customer=customer,
        lines=[("Machine", "1", "5000.00", "0", "G")],
        operation_category=OperationCategory.GOODS,
    )
    assert "Exonération de TVA, article 262 I du CGI" in text


def test_mixed_vat_rates_with_totals_per_rate(organisation):
    invoice, text = issue(
        organisation,
        lines=[
            ("Repas", "2", "10.00", "10"),
            ("Livre", "1", "20.00", "5.5"),
            ("Conseil", "1", "100.00", "20"),
        ],
        operation_category=OperationCategory.MIXED,
    )
    for mention in [
        "Livraison de biens et prestation de services",
        "TVA 10 % sur 20,00 €",
        "TVA 20 % sur 100,00 €",
        "Total TVA 23,10 €",
        "Total TTC 163,10 €",
    ]:
        assert mention in text, mention
    assert re.search(r"TVA 5,50? % sur 20,00 € 1,10 €", text)
    assert invoice.total_incl_vat == Decimal("163.10")


def test_options_delivery_address_and_individual_buyer(organisation):
    CompanySettings.objects.filter(organisation=organisation).update(
        vat_on_debits=True, early_payment_discount="2 % sous 8 jours"
    )
    customer = CustomerFactory.create(
        organisation=organisation,
        customer_type=Customer.Type.INDIVIDUAL,
        siren="",
        delivery_street="8 rue du Dépôt",
        delivery_postal_code="69007",
        delivery_city="Lyon",
        delivery_country="FR",
    )
    _invoice, text = issue(organisation, customer=customer, lines=[("Lampe", "1", "80", "20")])
    assert "Option pour le paiement de la taxe d'après les débits" in text
    assert "Escompte pour paiement anticipé : 2 % sous 8 jours" in text
    assert "Adresse de livraison : 8 rue du Dépôt, 69007 Lyon FR" in text
    assert "40 €" not in text  # the recovery indemnity is for business buyers only


def test_editing_the_customer_and_settings_after_issue_leaves_the_pdf_unchanged(organisation):
    invoice, text = issue(organisation, lines=[("Conseil", "1", "100", "20")])
    Customer.objects.filter(pk=invoice.customer_id).update(
        legal_name="Renamed SA", street="1 rue Neuve", siren="", vat_number=""
    )
    CompanySettings.objects.filter(organisation=organisation).update(
        legal_name="Other name", legal_form="SAS", share_capital=Decimal("1.00")
    )
    invoice.refresh_from_db()
    assert pdf_text(render_invoice_pdf(invoice)) == text
    assert "Renamed SA" not in text
    assert invoice.buyer["legal_name"] != "Renamed SA"
