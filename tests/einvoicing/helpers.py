from dataclasses import replace
from datetime import date
from decimal import Decimal
from io import BytesIO

from lxml import etree
from pypdf import PdfReader

from einvoicing import source
from einvoicing.cii import NS
from einvoicing.document import (
    CREDIT_NOTE,
    EXEMPT,
    EXPORT,
    INTRA_EU,
    REVERSE_CHARGE,
    STANDARD,
    Document,
    Line,
    Origin,
    Party,
)
from invoices.models import ZERO, round_money

SELLER = Party(
    name="Atelier Dupont SARL",
    siren="732829320",
    vat_number="FR44732829320",
    street="12 rue des Lilas",
    postal_code="75011",
    city="Paris",
    country="FR",
    electronic_address="732829320",
    electronic_scheme="0225",
)
FRENCH_BUYER = Party(
    name="Client SAS",
    siren="542051180",
    vat_number="FR59542051180",
    street="5 avenue de la République",
    postal_code="69003",
    city="Lyon",
    country="FR",
    electronic_address="542051180",
    electronic_scheme="0225",
)
GERMAN_BUYER = replace(
    FRENCH_BUYER,
    name="Kunde GmbH",
    siren="",
    vat_number="DE136695976",
    postal_code="10115",
    city="Berlin",
    country="DE",
    electronic_address="einkauf@kunde.example",
    electronic_scheme="EM",
)
SWISS_BUYER = replace(GERMAN_BUYER, name="Kunde AG", vat_number="", city="Bern", country="CH")


def make_document(
    lines: list[tuple[str, str, str, str]],
    *,
    buyer: Party = FRENCH_BUYER,
    type_code: str = "380",
    **changes,
) -> Document:
    """A document from (name, net amount, category, rate) lines, totals computed the way
    ``source`` does."""
    built = [
        Line(
            id=str(i),
            name=name,
            quantity=Decimal(1),
            unit_price=Decimal(net),
            net_amount=Decimal(net),
            category=category,
            rate=Decimal(rate),
        )
        for i, (name, net, category, rate) in enumerate(lines, start=1)
    ]
    breakdown = source._breakdown(built, None)
    total = sum((line.net_amount for line in built), ZERO)
    tax = sum((b.tax for b in breakdown), ZERO)
    document = Document(
        number="F-2026-000042" if type_code == "380" else "AV-2026-000007",
        type_code=type_code,
        issue_date=date(2026, 11, 28),
        currency="EUR",
        seller=SELLER,
        buyer=buyer,
        lines=built,
        breakdown=breakdown,
        line_total=total,
        tax_basis_total=total,
        tax_total=tax,
        grand_total=total + tax,
        paid_amount=ZERO,
        due_payable=total + tax,
        due_date=date(2026, 12, 28),
        delivery_date=date(2026, 11, 28),
        payment_terms="Paiement à 30 jours.",
        iban="FR1420041010050500013M02606",
        preceding_number="F-2026-000042" if type_code == CREDIT_NOTE else "",
        preceding_date=date(2026, 11, 2) if type_code == CREDIT_NOTE else None,
        origin=Origin(None),
    )
    return replace(document, **changes)


# The VAT cases of a French seller (FRENCH_BILLING.md): name → document.
VAT_CASES = {
    "domestic": lambda: make_document([("Conseil", "200.00", STANDARD, "20")]),
    "mixed rates": lambda: make_document(
        [
            ("Conseil", "200.00", STANDARD, "20"),
            ("Travaux", "150.00", STANDARD, "10"),
            ("Livres", "33.33", STANDARD, "5.5"),
            ("Presse", "9.99", STANDARD, "2.1"),
        ]
    ),
    "franchise": lambda: make_document([("Cours", "300.00", EXEMPT, "0")]),
    "reverse charge": lambda: make_document(
        [("Conseil", "500.00", REVERSE_CHARGE, "0")], buyer=GERMAN_BUYER
    ),
    "intra-EU goods": lambda: make_document(
        [("Machine", "1200.00", INTRA_EU, "0")], buyer=GERMAN_BUYER
    ),
    "export": lambda: make_document([("Machine", "900.00", EXPORT, "0")], buyer=SWISS_BUYER),
    "credit note": lambda: make_document(
        [("Avoir sur F-2026-000042", "100.00", STANDARD, "20")], type_code=CREDIT_NOTE
    ),
}


def xpath(xml: bytes, path: str) -> list[str]:
    root = etree.fromstring(xml)
    return [
        node.text if hasattr(node, "text") else str(node)
        for node in root.xpath(path, namespaces=NS)
    ]


def embedded_files(pdf: bytes) -> dict[str, list[bytes]]:
    return dict(PdfReader(BytesIO(pdf)).attachments)


def pdf_catalog(pdf: bytes):
    return PdfReader(BytesIO(pdf)).trailer["/Root"]


def facturx_pdf(document, html: str = "<p>Facture</p>") -> bytes:
    """A Factur-X of ``document`` written as our generation writes one (invoices.pdf)."""
    from einvoicing import facturx as fx
    from invoices.pdf import PdfSource

    xml = fx.document_xml(document)
    return PdfSource(html).write(
        pdf_variant=fx.PDF_VARIANT,
        prepare=lambda rendered: fx.attach(rendered, xml, document=document, lang="fr-FR"),
    )


def assert_factur_x(pdf: bytes) -> bytes:
    """PDF/A-3b with exactly one embedded factur-x.xml (its one associated file, /Data,
    text/xml), the Factur-X XMP properties declared by their extension schema, XSD-valid,
    and the factur-x library extracts it back. Returns the XML."""
    import facturx

    from einvoicing.facturx import FX_NAMESPACE

    assert list(embedded_files(pdf)) == ["factur-x.xml"]
    catalog = pdf_catalog(pdf)
    (filespec,) = [ref.get_object() for ref in catalog["/AF"]]
    assert filespec["/AFRelationship"] == "/Data"
    assert filespec["/EF"]["/F"].get_object()["/Subtype"] == "/text/xml"
    assert "/OutputIntents" in catalog  # the PDF/A colour profile WeasyPrint writes
    properties = xmp_properties(pdf)
    assert properties["pdfaid:part"] == ["3"]
    assert properties["pdfaid:conformance"] == ["B"]
    assert properties["fx:ConformanceLevel"] == ["EN 16931"]
    assert properties["fx:DocumentType"] == ["INVOICE"]
    assert properties["fx:DocumentFileName"] == ["factur-x.xml"]
    assert properties["pdfaSchema:namespaceURI"] == [FX_NAMESPACE]
    assert properties["pdfaSchema:prefix"] == ["fx"]
    filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml"
    return xml


def xmp(pdf: bytes) -> str:
    return pdf_catalog(pdf)["/Metadata"].get_object().get_data().decode()


XMP_PREFIXES = {
    "http://www.aiim.org/pdfa/ns/id/": "pdfaid",
    "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#": "fx",
    "http://www.aiim.org/pdfa/ns/schema#": "pdfaSchema",
}


def xmp_properties(pdf: bytes) -> dict[str, list[str]]:
    """The simple properties of the XMP packet (which must be well-formed XML), by
    "prefix:name", whether written as attributes or as elements of rdf:Description."""
    packet = xmp(pdf).split("?>", 1)[1].rsplit("<?xpacket", 1)[0]
    properties: dict[str, list[str]] = {}

    def add(tag: str, value: str | None) -> None:
        namespace, _, name = tag[1:].partition("}")
        if namespace in XMP_PREFIXES and value and value.strip():
            properties.setdefault(f"{XMP_PREFIXES[namespace]}:{name}", []).append(value)

    for element in etree.fromstring(packet.encode()).iter():
        if not isinstance(element.tag, str):
            continue
        for attribute, value in element.attrib.items():
            add(attribute, value)
        if len(element) == 0:
            add(element.tag, element.text)
    return properties


def expected_tax(net: str, rate: str) -> Decimal:
    return round_money(Decimal(net) * Decimal(rate) / 100)
