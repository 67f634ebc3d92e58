"""Our records → the EN 16931 document (``document.Document``).

The one place that reads invoices, customers and company settings for e-invoicing. Its
small readers (``line_category``, ``seller_of``, ``buyer_of``) are where the frozen
seller/buyer snapshot and the per-line VAT categories plug in.
"""

from collections import defaultdict
from decimal import Decimal

from django.urls import reverse

from accounts.models import CompanySettings
from invoices.models import ZERO, Customer, Invoice, InvoiceLine, round_money
from invoices.services import company_settings_for

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


def line_category(line: InvoiceLine) -> str:
    """The line's EN 16931 VAT category code."""
    stored = getattr(line, "vat_category", "")
    if stored:
        return str(stored)
    return STANDARD if line.vat_rate > 0 else ZERO_RATED


def exemption_of(category: str, invoice: Invoice | None = None) -> tuple[str, str]:
    """(VATEX code, reason text) for a category that charges no VAT."""
    return EXEMPTIONS.get(category, ("", ""))


def electronic_address_of(siren: str, configured: str = "") -> tuple[str, str]:
    """(address, scheme): a configured address, or the SIREN-based one of the directory."""
    if configured:
        return configured, SIREN_ADDRESS_SCHEME
    if siren:
        return siren, SIREN_ADDRESS_SCHEME
    return "", ""


def seller_of(invoice: Invoice) -> Party:
    from .models import PlatformSettings

    company: CompanySettings = company_settings_for(invoice.organisation)
    platform = PlatformSettings.for_organisation(invoice.organisation)
    address, scheme = electronic_address_of(company.siren, platform.seller_electronic_address)
    return Party(
        name=company.legal_name,
        siren=company.siren,
        siret=company.siret,
        vat_number=company.vat_number,
        street=company.street,
        postal_code=company.postal_code,
        city=company.city,
        country=company.country,
        electronic_address=address,
        electronic_scheme=scheme,
        email=company.sender_email,
        origin=Origin(company, reverse("accounts:company_settings"), settings=True),
    )


def buyer_of(invoice: Invoice) -> Party:
    customer: Customer = invoice.customer
    if customer.is_business and customer.country == "FR":
        address, scheme = electronic_address_of(customer.siren)
    elif customer.email:
        address, scheme = customer.email, "EM"
    else:
        address, scheme = "", ""
    return Party(
        name=customer.legal_name,
        siren=customer.siren if customer.is_business else "",
        siret=customer.siret,
        vat_number=customer.vat_number,
        street=customer.street,
        postal_code=customer.postal_code,
        city=customer.city,
        country=customer.country,
        electronic_address=address,
        electronic_scheme=scheme,
        email=customer.email,
        is_business=customer.is_business,
        origin=Origin(customer, customer.get_absolute_url()),
    )


def _breakdown(
    lines: list[Line], invoice: Invoice | None, taxes: dict[Decimal, Decimal] | None = None
) -> list[VatBreakdown]:
    """VAT per category and rate; the tax is the sum of the lines' rounded VAT, as our
    invoices compute it (within the ±1 tolerance of BR-CO-17 / BR-S-09), or the amounts
    a credit note already states per rate (``taxes``)."""
    groups: dict[tuple[str, Decimal], list[Line]] = defaultdict(list)
    for line in lines:
        groups[(line.category, line.rate)].append(line)
    result = []
    for (category, rate), members in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        basis = sum((m.net_amount for m in members), ZERO)
        tax = sum((round_money(m.net_amount * rate / Decimal(100)) for m in members), ZERO)
        if taxes is not None:
            tax = taxes.get(rate, tax)
        code, reason = exemption_of(category, invoice)
        result.append(VatBreakdown(category, rate, basis, tax, code, reason))
    return result


def _payment_terms(invoice: Invoice, company: CompanySettings, buyer: Party) -> str:
    terms = [
        f"Paiement à {company.payment_terms_days} jours. Pas d'escompte pour paiement anticipé.",
        f"Pénalités de retard : {company.late_penalty_rate:f} % par an.",
    ]
    if buyer.is_business:
        terms.append("Indemnité forfaitaire pour frais de recouvrement : 40 € (art. D441-5).")
    return " ".join(terms)


def invoice_document(invoice: Invoice) -> Document:
    company = company_settings_for(invoice.organisation)
    url = invoice.get_absolute_url()
    lines = [
        Line(
            id=str(index),
            name=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            net_amount=line.total_excl_vat,
            category=line_category(line),
            rate=line.vat_rate,
            origin=Origin(line, url),
        )
        for index, line in enumerate(invoice.lines.all(), start=1)
    ]
    breakdown = _breakdown(lines, invoice)
    line_total = sum((line.net_amount for line in lines), ZERO)
    tax_total = sum((b.tax for b in breakdown), ZERO)
    grand_total = line_total + tax_total
    buyer = buyer_of(invoice)
    notes = [("PMT", _payment_terms(invoice, company, buyer))]
    if invoice.notes:
        notes.append(("AAI", invoice.notes))
    return Document(
        number=invoice.number or "",
        type_code=INVOICE,
        issue_date=invoice.issue_date,
        currency=invoice.currency,
        seller=seller_of(invoice),
        buyer=buyer,
        lines=lines,
        breakdown=breakdown,
        line_total=line_total,
        tax_basis_total=line_total,
        tax_total=tax_total,
        grand_total=grand_total,
        paid_amount=ZERO,
        due_payable=grand_total,
        due_date=invoice.due_date,
        delivery_date=invoice.issue_date,
        payment_terms=_payment_terms(invoice, company, buyer),
        iban=company.iban.replace(" ", ""),
        bic=company.bic,
        payment_reference=invoice.number or "",
        notes=notes,
        origin=Origin(invoice, url),
    )


def credit_note_document(credit_note) -> Document:
    """A refunds.CreditNote: one line per VAT rate of the corrected invoice, type 381."""
    invoice: Invoice = credit_note.invoice
    company = company_settings_for(invoice.organisation)
    categories = {line.vat_rate: line_category(line) for line in invoice.lines.all()}
    lines = []
    for index, part in enumerate(credit_note.vat_breakdown, start=1):
        rate = Decimal(part["rate"])
        base = Decimal(part["base"])
        lines.append(
            Line(
                id=str(index),
                name=f"Avoir sur la facture {invoice.number} — TVA {rate.normalize():f} %",
                quantity=Decimal(1),
                unit_price=base,
                net_amount=base,
                category=categories.get(rate, STANDARD if rate else ZERO_RATED),
                rate=rate,
                origin=Origin(credit_note, credit_note.get_absolute_url()),
            )
        )
    taxes = {Decimal(p["rate"]): Decimal(p["vat"]) for p in credit_note.vat_breakdown}
    breakdown = _breakdown(lines, invoice, taxes)
    line_total = sum((line.net_amount for line in lines), ZERO)
    tax_total = sum((b.tax for b in breakdown), ZERO)
    buyer = buyer_of(invoice)
    return Document(
        number=credit_note.number,
        type_code=CREDIT_NOTE,
        issue_date=credit_note.issued_at.date(),
        currency=invoice.currency,
        seller=seller_of(invoice),
        buyer=buyer,
        lines=lines,
        breakdown=breakdown,
        line_total=line_total,
        tax_basis_total=line_total,
        tax_total=tax_total,
        grand_total=line_total + tax_total,
        paid_amount=ZERO,
        due_payable=line_total + tax_total,
        delivery_date=invoice.issue_date,
        iban=company.iban.replace(" ", ""),
        bic=company.bic,
        notes=[("AAI", f"Avoir sur la facture {invoice.number}")],
        preceding_number=invoice.number or "",
        preceding_date=invoice.issue_date,
        origin=Origin(credit_note, credit_note.get_absolute_url()),
    )
