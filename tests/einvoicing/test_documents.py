"""The CII XML of each VAT case, its business rules and its Factur-X PDF (hand-made
documents: no database)."""

from decimal import Decimal

import facturx
import pytest

from einvoicing import facturx as fx
from einvoicing import rules
from einvoicing.cii import GUIDELINE, read_totals
from einvoicing.document import EXEMPTIONS

from .helpers import VAT_CASES, assert_factur_x, facturx_pdf, xpath


@pytest.mark.parametrize("case", VAT_CASES)
def test_each_vat_case_is_xsd_valid_and_breaks_no_rule(case):
    document = VAT_CASES[case]()
    xml = fx.document_xml(document)  # raises InvalidXml when the XSD refuses it

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert xpath(xml, "//rsm:ExchangedDocumentContext//ram:ID") == [GUIDELINE]
    assert rules.check(document, transmitted=document.buyer.country == "FR") == []


@pytest.mark.parametrize("case", VAT_CASES)
def test_each_vat_breakdown_states_its_category_rate_and_exemption(case):
    document = VAT_CASES[case]()
    xml = fx.document_xml(document)
    breakdown = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"

    assert xpath(xml, f"{breakdown}/ram:CategoryCode") == [b.category for b in document.breakdown]
    assert [Decimal(v) for v in xpath(xml, f"{breakdown}/ram:BasisAmount")] == [
        b.basis for b in document.breakdown
    ]
    for bucket in document.breakdown:
        code, reason = EXEMPTIONS.get(bucket.category, ("", ""))
        found = xpath(
            xml, f"{breakdown}[ram:CategoryCode='{bucket.category}']/ram:ExemptionReasonCode"
        )
        assert found == ([code] if code else [])
        found = xpath(xml, f"{breakdown}[ram:CategoryCode='{bucket.category}']/ram:ExemptionReason")
        assert found == ([reason] if reason else [])


def test_the_totals_of_the_xml_are_the_documents():
    document = VAT_CASES["mixed rates"]()
    totals = read_totals(fx.document_xml(document))

    assert totals["LineTotalAmount"] == Decimal("393.32")
    assert totals["TaxTotalAmount"] == document.tax_total == Decimal("57.04")
    assert totals["GrandTotalAmount"] == Decimal("450.36")
    assert totals["DuePayableAmount"] == Decimal("450.36")


def test_parties_carry_their_siren_under_scheme_0002_and_their_electronic_address():
    xml = fx.document_xml(VAT_CASES["domestic"]())

    assert xpath(xml, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == [
        "732829320"
    ]
    assert xpath(xml, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID/@schemeID") == [
        "0002"
    ]
    assert xpath(xml, "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID") == [
        "542051180"
    ]
    assert xpath(
        xml, "//ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID/@schemeID"
    ) == ["0225"]
    assert xpath(xml, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == [
        "FR1420041010050500013M02606"
    ]


def test_a_credit_note_is_type_381_and_refers_to_the_invoice_it_corrects():
    xml = fx.document_xml(VAT_CASES["credit note"]())

    assert xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert xpath(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["F-2026-000042"]
    assert xpath(xml, "//ram:InvoiceReferencedDocument//qdt:DateTimeString") == ["20261102"]


def test_the_factur_x_pdf_embeds_one_factur_x_xml_that_the_library_extracts_back():
    document = VAT_CASES["reverse charge"]()
    xml = fx.document_xml(document)
    result = facturx_pdf(document, "<p>Facture F-2026-000042</p>")

    assert assert_factur_x(result) == xml


@pytest.mark.parametrize(
    ("seller", "said"),
    [
        (
            {"payment_terms_days": 45, "late_penalty_rate": "12.00"},
            "Paiement à 45 jours. Pas d'escompte pour paiement anticipé. "
            "Pénalités de retard\u00a0: 12\u202f% par an.",
        ),
        # Payable on receipt is 0 days, not the default 30.
        (
            {"payment_terms_days": 0, "late_penalty_rate": "10.15"},
            "Paiement à réception. Pas d'escompte pour paiement anticipé. "
            "Pénalités de retard\u00a0: 10,15\u202f% par an.",
        ),
        # A snapshot taken before the field existed: the legal default.
        (
            {"late_penalty_rate": "12.5", "early_payment_discount": "2 % à 10 jours"},
            "Paiement à 30 jours. Escompte pour paiement anticipé\u00a0: 2\u202f% à 10 jours. "
            "Pénalités de retard\u00a0: 12,5\u202f% par an.",
        ),
    ],
)
def test_the_payment_terms_bt_20_are_written_as_french_prints_them(seller, said):
    from einvoicing.source import _payment_terms

    assert _payment_terms(seller, {}) == said
