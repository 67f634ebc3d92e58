"""Factur-X files: a PDF/A-3b with its CII XML embedded as ``factur-x.xml``.

WeasyPrint renders the PDF/A-3b (``pdf_variant="pdf/a-3b"``: output intent, fonts
embedded); the ``factur-x`` library (akretion) checks the XML against the Factur-X
EN 16931 XSD, embeds it with AFRelationship /Data and writes the XMP metadata with the
Factur-X extension schema (document type, file name, version, conformance level).
"""

import logging

import facturx

from .cii import build_xml
from .document import CREDIT_NOTE, Document

FILENAME = "factur-x.xml"
LEVEL = "en16931"
PDF_VARIANT = "pdf/a-3b"

# The library logs every step at INFO; our own log says what matters.
logging.getLogger("factur-x").setLevel(logging.WARNING)


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


def embed(pdf: bytes, xml: bytes, *, document: Document, lang: str = "fr-FR") -> bytes:
    """The Factur-X PDF: ``pdf`` must be a PDF/A-3 (rendered with ``PDF_VARIANT``)."""
    kind = "Avoir" if document.type_code == CREDIT_NOTE else "Facture"
    return facturx.generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level=LEVEL,
        check_xsd=False,  # checked by document_xml
        lang=lang,
        pdf_metadata={
            "author": document.seller.name,
            "keywords": "Factur-X, EN 16931",
            "title": f"{document.seller.name}: {kind} {document.number}",
            "subject": f"{kind} {document.number} — {document.buyer.name}",
        },
    )


def finish(record, pdf: bytes) -> bytes:
    """The PDF/A-3b of an invoice or a credit note made a Factur-X, with the XML of its
    document (registered with invoices.extensions when Django starts)."""
    from invoices.models import Invoice

    from .source import credit_note_document, invoice_document

    if isinstance(record, Invoice):
        document = invoice_document(record)
    else:
        document = credit_note_document(record)
    language = (record.buyer or {}).get("language") or "fr"
    return embed(
        pdf,
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
