"""Factur-X files: a PDF/A-3b with its CII XML embedded as ``factur-x.xml``.

WeasyPrint writes the whole file in one pass (``pdf_variant="pdf/a-3b"``: output intent,
fonts embedded; the XML as an associated file with AFRelationship /Data and MIME type
text/xml, listed in the catalog's /AF; the XMP metadata extended with the Factur-X
schema), as WeasyPrint documents for Factur-X. The ``factur-x`` library (akretion) checks
the XML against the Factur-X EN 16931 XSD and reads files back. Embedding afterwards with
that library parsed and rewrote every PDF with pypdf: ~10 % of a render worker's time.
"""

import logging

import facturx
from weasyprint import Attachment
from weasyprint import Document as RenderedDocument

from .cii import build_xml
from .document import CREDIT_NOTE, Document

FILENAME = "factur-x.xml"
LEVEL = "en16931"
PDF_VARIANT = "pdf/a-3b"

# The library logs every step at INFO; our own log says what matters.
logging.getLogger("factur-x").setLevel(logging.WARNING)

# The Factur-X properties of the XMP metadata, with the PDF/A extension schema that
# declares them (Factur-X 1.0, "PDF/A-3 metadata"): a PDF/A validator refuses properties
# of a namespace the file does not describe. WeasyPrint appends it inside its x:xmpmeta,
# after its own description (pdfaid, dc, pdf).
FX_NAMESPACE = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
FX_PROPERTIES = (
    ("DocumentType", "INVOICE", "The type of the hybrid document in capital letters"),
    ("DocumentFileName", FILENAME, "The name of the embedded XML document"),
    ("Version", "1.0", "The version of the standard applying to the embedded XML document"),
    ("ConformanceLevel", "EN 16931", "The conformance level of the embedded XML document"),
)


def _xmp() -> bytes:
    values = "".join(f"<fx:{name}>{value}</fx:{name}>" for name, value, _ in FX_PROPERTIES)
    declared = "".join(
        '<rdf:li rdf:parseType="Resource">'
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{description}</pdfaProperty:description>"
        "</rdf:li>"
        for name, _, description in FX_PROPERTIES
    )
    return (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        f'xmlns:fx="{FX_NAMESPACE}" '
        'xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" '
        'xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" '
        'xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
        f'<rdf:Description rdf:about="">{values}</rdf:Description>'
        '<rdf:Description rdf:about=""><pdfaExtension:schemas><rdf:Bag>'
        '<rdf:li rdf:parseType="Resource">'
        "<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{FX_NAMESPACE}</pdfaSchema:namespaceURI>"
        "<pdfaSchema:prefix>fx</pdfaSchema:prefix>"
        f"<pdfaSchema:property><rdf:Seq>{declared}</rdf:Seq></pdfaSchema:property>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"
        "</rdf:RDF>"
    ).encode()


XMP = _xmp()


class InvalidXml(Exception):
    """The XML fails the Factur-X XSD: a bug of the builder, never the user's data."""


def check_xsd(xml: bytes) -> None:
    try:
        facturx.xml_check_xsd(xml, flavor="factur-x", level=LEVEL)
    except Exception as exc:
        raise InvalidXml(str(exc)[:2000]) from exc


def document_xml(document: Document) -> bytes:
    xml = build_xml(document)
    check_xsd(xml)
    return xml


def attach(rendered: RenderedDocument, xml: bytes, *, document: Document, lang: str) -> None:
    """Make ``rendered`` a Factur-X when WeasyPrint writes it with ``PDF_VARIANT``: the XML
    as its associated file, the Factur-X XMP, and the document information (also in the
    XMP, as PDF/A wants them equal)."""
    kind = "Avoir" if document.type_code == CREDIT_NOTE else "Facture"
    metadata = rendered.metadata
    metadata.attachments = [
        Attachment(
            string=xml.decode(),
            name=FILENAME,
            description=f"Factur-X {kind} {document.number}",
            relationship="Data",
            # The document's own (restricted) fetcher: WeasyPrint's default one builds an
            # SSL context, ~15 ms, for an attachment that is given as a string.
            url_fetcher=rendered.url_fetcher,
        )
    ]
    metadata.xmp_metadata = [XMP]
    metadata.title = f"{document.seller.name}: {kind} {document.number}"
    metadata.authors = [document.seller.name]
    metadata.description = f"{kind} {document.number} — {document.buyer.name}"
    metadata.keywords = ["Factur-X", "EN 16931"]
    metadata.lang = lang


def prepare(record, rendered: RenderedDocument) -> None:
    """The rendered invoice or credit note made a Factur-X with the XML of its document
    (registered with invoices.extensions when Django starts)."""
    from invoices.models import Invoice

    from .source import credit_note_document, invoice_document

    if isinstance(record, Invoice):
        document = invoice_document(record)
    else:
        document = credit_note_document(record)
    language = (record.buyer or {}).get("language") or "fr"
    attach(
        rendered,
        document_xml(document),
        document=document,
        lang="en-GB" if language == "en" else "fr-FR",
    )


def extract_xml(pdf: bytes) -> bytes:
    """The embedded factur-x.xml of a Factur-X PDF (raises if there is none)."""
    filename, xml = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    if filename != FILENAME or not xml:
        raise ValueError(f"No {FILENAME} in this PDF")
    return xml
