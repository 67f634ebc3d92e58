"""Our records → the EN 16931 document (``document.Document``).

The one place that reads invoices, credit notes, customers and company settings for
e-invoicing. An issued document is read from its own frozen snapshot of the parties
(``Invoice.seller`` / ``buyer``), so its Factur-X says what its PDF says; a draft from
the customer and the settings as they are (what its snapshot will be when it is issued).
"""

from collections import defaultdict
from decimal import Decimal

from django.urls import reverse
from django.utils import translation

from accounts.models import CompanySettings, loaded_company_settings
from commbilling.l10n import format_number
from invoices.mentions import buyer_snapshot, seller_snapshot, vat_wording
from invoices.models import ZERO, Customer, Invoice, compute_totals, round_money

from .document import (
    CREDIT_NOTE,
    EXEMPTIONS,
    INVOICE,
    SIREN_ADDRESS_SCHEME,
    STANDARD,
    ZERO_RATED,
    Document,
    Line,
    Origin,
    Party,
    VatBreakdown,
)


def line_category(line) -> str:
    """The line's EN 16931 VAT category code (stored as such, invoices.models.VatCategory)."""
    stored = getattr(line, "vat_category", "")
    if stored:
        return str(stored)
    return STANDARD if line.vat_rate > 0 else ZERO_RATED


def exemption_of(category: str, reason: str = "", *, seller: dict, buyer: dict) -> tuple[str, str]:
    """(VATEX code, reason text) for a category that charges no VAT: the wording the PDF
    prints (invoices.mentions), in the buyer's language."""
    code, default = EXEMPTIONS.get(category, ("", ""))
    if not code:
        return "", ""
    with translation.override(buyer.get("language") or "fr"):
        text = str(vat_wording(category, reason, seller=seller, buyer=buyer) or "")
    return code, text or default


def electronic_address_of(siren: str, configured: str = "") -> tuple[str, str]:
    """(address, scheme): a configured address, or the SIREN-based one of the directory."""
    if configured:
        return configured, SIREN_ADDRESS_SCHEME
    if siren:
        return siren, SIREN_ADDRESS_SCHEME
    return "", ""


def parties_of(invoice: Invoice) -> tuple[dict, dict]:
    """(seller, buyer) as the invoice states them: its snapshot once issued; for a draft,
    the snapshot it would take now."""
    if invoice.is_issued and invoice.seller and invoice.buyer:
        return invoice.seller, invoice.buyer
    return (
        seller_snapshot(loaded_company_settings(invoice.organisation)),
        buyer_snapshot(invoice.customer),
    )


def is_business(buyer: dict) -> bool:
    return buyer.get("customer_type") == Customer.Type.BUSINESS


def seller_party(organisation, seller: dict, company: CompanySettings | None = None) -> Party:
    from .models import PlatformSettings

    company = company or loaded_company_settings(organisation)
    platform = PlatformSettings.for_organisation(organisation)
    address, scheme = electronic_address_of(
        seller.get("siren") or "", platform.seller_electronic_address
    )
    return Party(
        name=seller.get("legal_name") or "",
        siren=seller.get("siren") or "",
        siret=seller.get("siret") or "",
        vat_number=seller.get("vat_number") or "",
        tax_registration=(seller.get("siren") or "")
        if seller.get("vat_regime") == CompanySettings.VatRegime.FRANCHISE
        and not seller.get("vat_number")
        else "",
        street=seller.get("street") or "",
        postal_code=seller.get("postal_code") or "",
        city=seller.get("city") or "",
        country=seller.get("country") or "",
        electronic_address=address,
        electronic_scheme=scheme,
        email=company.sender_email,
        # A seller's value is fixed in the company settings (wrong settings).
        origin=Origin(company, reverse("accounts:company_settings"), settings=True),
    )


def buyer_party(customer: Customer, buyer: dict) -> Party:
    business = is_business(buyer)
    country = buyer.get("country") or ""
    siren = (buyer.get("siren") or "") if business else ""
    if business and country == "FR":
        address, scheme = electronic_address_of(siren)
    elif customer.email:
        address, scheme = customer.email, "EM"
    else:
        address, scheme = "", ""
    return Party(
        name=buyer.get("legal_name") or "",
        siren=siren,
        siret=buyer.get("siret") or "",
        vat_number=buyer.get("vat_number") or "",
        street=buyer.get("street") or "",
        postal_code=buyer.get("postal_code") or "",
        city=buyer.get("city") or "",
        country=country,
        electronic_address=address,
        electronic_scheme=scheme,
        email=customer.email,
        is_business=business,
        # A buyer's value is fixed on the customer (missing data).
        origin=Origin(customer, customer.get_absolute_url()),
    )


def _breakdown(
    lines: list[Line],
    invoice: Invoice | None,
    taxes: dict[tuple[str, Decimal], Decimal] | None = None,
    *,
    seller: dict | None = None,
    buyer: dict | None = None,
    reasons: dict[str, str] | None = None,
) -> list[VatBreakdown]:
    """VAT per category and rate. The tax is what the document states per (category,
    rate) (``taxes``, from invoices.models.compute_totals, the one computation of totals),
    else the sum of the lines' rounded VAT, as compute_totals does."""
    groups: dict[tuple[str, Decimal], list[Line]] = defaultdict(list)
    for line in lines:
        groups[(line.category, line.rate)].append(line)
    result = []
    for (category, rate), members in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        basis = sum((m.net_amount for m in members), ZERO)
        tax = sum((round_money(m.net_amount * rate / Decimal(100)) for m in members), ZERO)
        if taxes is not None:
            tax = taxes.get((category, rate), tax)
        code, reason = exemption_of(
            category, (reasons or {}).get(category, ""), seller=seller or {}, buyer=buyer or {}
        )
        result.append(VatBreakdown(category, rate, basis, tax, code, reason))
    return result


def _payment_terms(seller: dict, buyer: dict) -> str:
    """BT-20, with the mentions the PDF prints (Code de commerce L441-10, D441-5)."""
    discount = seller.get("early_payment_discount") or ""
    days = seller.get("payment_terms_days")
    days = 30 if days in (None, "") else int(days)  # 30: snapshots older than the field
    rate = format_number(Decimal(seller.get("late_penalty_rate") or "0"), lang="fr")
    terms = [
        f"Paiement à {days} jours." if days else "Paiement à réception.",
        f"Escompte pour paiement anticipé : {discount}."
        if discount
        else "Pas d'escompte pour paiement anticipé.",
        f"Pénalités de retard : {rate} % par an.",
    ]
    if is_business(buyer):
        terms.append("Indemnité forfaitaire pour frais de recouvrement : 40 € (art. D441-5).")
    return " ".join(terms).replace(" :", "\u00a0:").replace(" %", "\u202f%")


def _document_lines(rows, url: str) -> tuple[list[Line], dict[str, str]]:
    lines = [
        Line(
            id=str(index),
            name=row.description,
            quantity=row.quantity,
            unit_price=row.unit_price,
            net_amount=row.total_excl_vat,
            category=line_category(row),
            rate=row.vat_rate,
            origin=Origin(row, url),
        )
        for index, row in enumerate(rows, start=1)
    ]
    reasons = {
        line_category(row): row.vat_exemption_reason
        for row in rows
        if getattr(row, "vat_exemption_reason", "")
    }
    return lines, reasons


def invoice_document(invoice: Invoice) -> Document:
    seller, buyer = parties_of(invoice)
    company = loaded_company_settings(invoice.organisation)
    url = invoice.get_absolute_url()
    lines, reasons = _document_lines(list(invoice.lines.all()), url)
    taxes = {(b["category"], b["rate"]): b["vat"] for b in invoice.vat_breakdown()}
    breakdown = _breakdown(lines, invoice, taxes, seller=seller, buyer=buyer, reasons=reasons)
    line_total = sum((line.net_amount for line in lines), ZERO)
    tax_total = sum((b.tax for b in breakdown), ZERO)
    grand_total = line_total + tax_total
    terms = _payment_terms(seller, buyer)
    notes = [("PMT", terms)]
    if invoice.notes:
        notes.append(("AAI", invoice.notes))
    return Document(
        number=invoice.number or "",
        type_code=INVOICE,
        issue_date=invoice.issue_date,
        currency=invoice.currency,
        seller=seller_party(invoice.organisation, seller, company),
        buyer=buyer_party(invoice.customer, buyer),
        lines=lines,
        breakdown=breakdown,
        line_total=line_total,
        tax_basis_total=line_total,
        tax_total=tax_total,
        grand_total=grand_total,
        paid_amount=ZERO,
        due_payable=grand_total,
        due_date=invoice.due_date,
        delivery_date=invoice.delivery_date or invoice.issue_date,
        payment_terms=terms,
        iban=(seller.get("iban") or company.iban or "").replace(" ", ""),
        bic=seller.get("bic") or company.bic,
        payment_reference=invoice.number or "",
        notes=notes,
        origin=Origin(invoice, url),
    )


def credit_note_document(credit_note) -> Document:
    """A refunds.CreditNote, type 381, referring to the invoice it corrects: its own lines
    (a correction), or one line per VAT rate of the amount it credits (a refund's)."""
    invoice: Invoice = credit_note.invoice
    seller = credit_note.seller or parties_of(invoice)[0]
    buyer = credit_note.buyer or parties_of(invoice)[1]
    url = credit_note.get_absolute_url()
    rows = list(credit_note.lines.all())
    if rows:
        lines, reasons = _document_lines(rows, url)
        taxes = {(b["category"], b["rate"]): b["vat"] for b in compute_totals(rows).breakdown}
    else:
        categories = {line.vat_rate: line_category(line) for line in invoice.lines.all()}
        lines, reasons, taxes = [], {}, {}
        for index, part in enumerate(credit_note.vat_breakdown, start=1):
            rate, base = Decimal(part["rate"]), Decimal(part["base"])
            category = part.get("category") or categories.get(
                rate, STANDARD if rate else ZERO_RATED
            )
            taxes[(category, rate)] = taxes.get((category, rate), ZERO) + Decimal(part["vat"])
            lines.append(
                Line(
                    id=str(index),
                    name=f"Avoir sur la facture {invoice.number} — TVA {rate.normalize():f} %",
                    quantity=Decimal(1),
                    unit_price=base,
                    net_amount=base,
                    category=category,
                    rate=rate,
                    origin=Origin(credit_note, url),
                )
            )
    breakdown = _breakdown(lines, invoice, taxes, seller=seller, buyer=buyer, reasons=reasons)
    line_total = sum((line.net_amount for line in lines), ZERO)
    tax_total = sum((b.tax for b in breakdown), ZERO)
    notes = [("AAI", f"Avoir sur la facture {invoice.number}")]
    if credit_note.reason:
        notes.append(("ACD", credit_note.reason))
    return Document(
        number=credit_note.number,
        type_code=CREDIT_NOTE,
        issue_date=credit_note.issued_at.date(),
        currency=invoice.currency,
        seller=seller_party(invoice.organisation, seller),
        buyer=buyer_party(invoice.customer, buyer),
        lines=lines,
        breakdown=breakdown,
        line_total=line_total,
        tax_basis_total=line_total,
        tax_total=tax_total,
        grand_total=line_total + tax_total,
        paid_amount=ZERO,
        due_payable=line_total + tax_total,
        delivery_date=invoice.delivery_date or invoice.issue_date,
        iban=(seller.get("iban") or "").replace(" ", ""),
        bic=seller.get("bic") or "",
        notes=notes,
        preceding_number=invoice.number or "",
        preceding_date=invoice.issue_date,
        origin=Origin(credit_note, url),
    )
