"""The EN 16931 semantic model of one invoice or credit note, as plain data.

The CII builder (``cii.py``) and the business rules (``rules.py``) read this and nothing
else, so they are tested on hand-made documents and never touch the ORM. ``source.py``
is the one place that turns our records into it. Each party and line keeps a reference
to the record its data came from (``Origin``), so a broken rule names the field to fix.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import models

INVOICE = "380"  # UNTDID 1001: commercial invoice
CREDIT_NOTE = "381"  # UNTDID 1001: credit note

# EN 16931 VAT category codes (UNTDID 5305) and, for the ones that charge no VAT, the
# VATEX code and the French wording of the reason (CGI articles, see FRENCH_BILLING.md).
STANDARD = "S"
ZERO_RATED = "Z"
EXEMPT = "E"
REVERSE_CHARGE = "AE"
INTRA_EU = "K"
EXPORT = "G"
OUTSIDE_SCOPE = "O"
CATEGORIES = (STANDARD, ZERO_RATED, EXEMPT, REVERSE_CHARGE, INTRA_EU, EXPORT, OUTSIDE_SCOPE)
EXEMPTIONS: dict[str, tuple[str, str]] = {
    EXEMPT: ("VATEX-FR-FRANCHISE", "TVA non applicable, art. 293 B du CGI"),
    REVERSE_CHARGE: ("VATEX-EU-AE", "Autoliquidation"),
    INTRA_EU: ("VATEX-EU-IC", "Exonération de TVA, article 262 ter, I du CGI"),
    EXPORT: ("VATEX-EU-G", "Exonération de TVA, article 262 I du CGI"),
    OUTSIDE_SCOPE: ("VATEX-EU-O", "Hors du champ d'application de la TVA"),
}

# Scheme of a legal registration identifier (ISO 6523 ICD): 0002 is the French SIRENE.
SIREN_SCHEME = "0002"
# Scheme of an electronic address (EAS code list): 0225 is the French SIREN-based address
# of the e-invoicing directory; EM an e-mail address.
SIREN_ADDRESS_SCHEME = "0225"

# UNTDID 4461 payment means: 58 SEPA credit transfer, 30 credit transfer, 1 not defined.
SEPA_CREDIT_TRANSFER = "58"


@dataclass(frozen=True)
class Origin:
    """The record a value came from, and where a user fixes it."""

    record: models.Model | None
    fix_url: str = ""
    settings: bool = False  # a company setting (wrong settings) rather than data


@dataclass(frozen=True)
class Party:
    name: str
    siren: str = ""
    siret: str = ""
    vat_number: str = ""
    # BT-32, scheme FC: a seller under the franchise en base has no VAT number (CGI art.
    # 293 B); its SIREN stands as its tax registration for BR-E-02.
    tax_registration: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""
    electronic_address: str = ""
    electronic_scheme: str = ""
    email: str = ""
    is_business: bool = True
    origin: Origin = field(default_factory=lambda: Origin(None))


@dataclass(frozen=True)
class Line:
    id: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    net_amount: Decimal
    category: str
    rate: Decimal
    unit_code: str = "C62"  # UN/ECE rec 20: "one" (unit)
    origin: Origin = field(default_factory=lambda: Origin(None))


@dataclass(frozen=True)
class VatBreakdown:
    category: str
    rate: Decimal
    basis: Decimal
    tax: Decimal
    exemption_code: str = ""
    exemption_reason: str = ""


@dataclass(frozen=True)
class Document:
    number: str
    type_code: str
    issue_date: date | None
    currency: str
    seller: Party
    buyer: Party
    lines: list[Line]
    breakdown: list[VatBreakdown]
    line_total: Decimal
    tax_basis_total: Decimal
    tax_total: Decimal
    grand_total: Decimal
    paid_amount: Decimal
    due_payable: Decimal
    due_date: date | None = None
    delivery_date: date | None = None
    payment_terms: str = ""
    payment_means: str = SEPA_CREDIT_TRANSFER
    iban: str = ""
    bic: str = ""
    payment_reference: str = ""
    notes: list[tuple[str, str]] = field(default_factory=list)  # (subject code, text)
    preceding_number: str = ""  # BT-25: the invoice a credit note corrects
    preceding_date: date | None = None  # BT-26
    origin: Origin = field(default_factory=lambda: Origin(None))

    @property
    def categories(self) -> set[str]:
        return {line.category for line in self.lines}
