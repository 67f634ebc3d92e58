"""The EN 16931 business rules our data can break, checked before anything leaves.

CEN publishes the rules as Schematron (ConnectingEurope/eInvoicing-EN16931, CII model);
the French CTC ones (BR-FR-…) come with the Factur-X 1.08+ package. Running Schematron
needs an XSLT 2 processor, so the rules that our records can break are written here
against the semantic document, each naming the field a user fixes: a customer's or a
line's field is missing data, a company setting is wrong settings. A rule only our own
code can break (the totals, BR-CO-…) is an internal error.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from stdnum.eu import vat
from stdnum.fr import siren

from activity.errors import AutomationError, FieldProblem, MissingData, WrongSettings
from invoices.models import ZERO, round_money

from .document import (
    EXEMPT,
    EXEMPTIONS,
    EXPORT,
    INTRA_EU,
    REVERSE_CHARGE,
    STANDARD,
    ZERO_RATED,
    Document,
    Origin,
)

# BR-CO-17 and BR-S-09 accept one currency unit of difference (the Schematron's test).
TAX_TOLERANCE = Decimal("1.00")

# The reason code of a document that breaks rules no field of the user's can fix (worded
# in apps.py).
RULES_BROKEN = "en16931_rules_broken"


@dataclass(frozen=True)
class Violation:
    rule: str
    text: str  # the rule, in English (the source language)
    problem: FieldProblem | None  # None: only our code can break it (internal)
    settings: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "text": self.text}


def field_problem(
    origin: Origin, field: str, problem: str = "missing", *, label: str = ""
) -> FieldProblem:
    record: models.Model | None = origin.record
    if record is None:  # a document made by hand (tests): the field's name will do
        return FieldProblem(
            model="", object_id=None, record="", field=field, label=label or field, problem=problem
        )
    return FieldProblem.of(record, field, fix_url=origin.fix_url, problem=problem, label=label)


class _Checker:
    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def field(self, rule: str, text: str, origin: Origin, name: str, problem: str = "missing"):
        self.violations.append(
            Violation(rule, text, field_problem(origin, name, problem), origin.settings)
        )

    def raw(self, rule: str, text: str, problem: FieldProblem) -> None:
        self.violations.append(Violation(rule, text, problem))

    def internal(self, rule: str, text: str) -> None:
        self.violations.append(Violation(rule, text, None))


def _valid_siren(value: str) -> bool:
    return siren.is_valid(value)


def _valid_vat(value: str) -> bool:
    return vat.is_valid(value)


def check(document: Document, *, transmitted: bool = False) -> list[Violation]:
    """Every broken rule at once, so the user fixes everything in one go.

    ``transmitted``: the French CTC rules for an invoice going through a platform (buyer
    SIREN and electronic addresses) apply too.
    """
    c = _Checker()
    seller, buyer = document.seller, document.buyer
    if not document.number:
        c.internal("BR-02", "An Invoice shall have an Invoice number (BT-1).")
    if document.issue_date is None:
        c.internal("BR-03", "An Invoice shall have an Invoice issue date (BT-2).")

    # Parties (BR-06 … BR-11, BR-CO-26)
    if not seller.name:
        c.field(
            "BR-06",
            "An Invoice shall contain the Seller name (BT-27).",
            seller.origin,
            "legal_name",
        )
    for rule, name in (("BR-08", "street"), ("BR-08", "postal_code"), ("BR-08", "city")):
        if not getattr(seller, name):
            c.field(
                rule,
                "An Invoice shall contain the Seller postal address (BG-5).",
                seller.origin,
                name,
            )
    if not seller.country:
        c.field(
            "BR-09",
            "The Seller postal address shall contain a country code (BT-40).",
            seller.origin,
            "country",
        )
    if not buyer.name:
        c.field(
            "BR-07", "An Invoice shall contain the Buyer name (BT-44).", buyer.origin, "legal_name"
        )
    for name in ("street", "postal_code", "city"):
        if not getattr(buyer, name):
            c.field(
                "BR-10",
                "An Invoice shall contain the Buyer postal address (BG-8).",
                buyer.origin,
                name,
            )
    if not buyer.country:
        c.field(
            "BR-11",
            "The Buyer postal address shall contain a country code (BT-55).",
            buyer.origin,
            "country",
        )
    if not (seller.siren or seller.vat_number):
        c.field(
            "BR-CO-26",
            "The Seller legal registration id (BT-30) or VAT id (BT-31) shall be present.",
            seller.origin,
            "siren",
        )
    for party in (seller, buyer):
        if party.vat_number and not _valid_vat(party.vat_number):
            c.field(
                "BR-CO-09",
                "A VAT identifier (BT-31, BT-48) shall have a country prefix and be valid.",
                party.origin,
                "vat_number",
                "invalid",
            )

    # Lines (BR-16, BR-25 … BR-27, BR-CO-04)
    if not document.lines:
        c.raw(
            "BR-16",
            "An Invoice shall have at least one Invoice line (BG-25).",
            field_problem(document.origin, "lines", label="lines"),
        )
    for line in document.lines:
        if not line.name.strip():
            c.field(
                "BR-25",
                "Each Invoice line shall contain the Item name (BT-153).",
                line.origin,
                "description",
            )
        if line.unit_price < ZERO:
            c.field(
                "BR-27",
                "The Item net price (BT-146) shall NOT be negative.",
                line.origin,
                "unit_price",
                "invalid",
            )
        if line.category == STANDARD and line.rate <= ZERO:
            c.field(
                "BR-S-05",
                "A standard rated line shall have a VAT rate greater than zero (BT-152).",
                line.origin,
                "vat_rate",
                "invalid",
            )
        if (line.category in EXEMPTIONS or line.category == ZERO_RATED) and line.rate != ZERO:
            rule = {
                EXEMPT: "BR-E-05",
                REVERSE_CHARGE: "BR-AE-05",
                INTRA_EU: "BR-IC-05",
                EXPORT: "BR-G-05",
                ZERO_RATED: "BR-Z-05",
            }.get(line.category, "BR-O-05")
            c.field(
                rule,
                f"A line of VAT category {line.category} shall have a VAT rate of 0 (BT-152).",
                line.origin,
                "vat_rate",
                "invalid",
            )

    # VAT categories (BR-S/Z/E/AE/IC/G-02, -10, BR-AE-02 buyer, BR-IC-02/11/12)
    categories = document.categories
    # BR-E-02 accepts the seller's tax registration (BT-32) instead of a VAT number.
    needs_vat_number = categories & {STANDARD, ZERO_RATED, EXPORT, INTRA_EU, REVERSE_CHARGE}
    if EXEMPT in categories and not seller.tax_registration:
        needs_vat_number = needs_vat_number | {EXEMPT}
    if needs_vat_number and not seller.vat_number:
        rule = next(
            f"BR-{ {'K': 'IC'}.get(cat, cat) }-02"
            for cat in (STANDARD, ZERO_RATED, EXEMPT, REVERSE_CHARGE, INTRA_EU, EXPORT)
            if cat in needs_vat_number
        )
        c.field(
            rule,
            "An Invoice with this VAT category shall contain the Seller VAT identifier (BT-31).",
            seller.origin,
            "vat_number",
        )
    if REVERSE_CHARGE in categories and not (buyer.vat_number or buyer.siren):
        c.field(
            "BR-AE-02",
            "A reverse-charge Invoice shall contain the Buyer VAT id (BT-48) or SIREN (BT-47).",
            buyer.origin,
            "vat_number",
        )
    if INTRA_EU in categories:
        if not buyer.vat_number:
            c.field(
                "BR-IC-02",
                "An intra-community supply shall contain the Buyer VAT identifier (BT-48).",
                buyer.origin,
                "vat_number",
            )
        if document.delivery_date is None:
            c.internal(
                "BR-IC-11", "An intra-community supply shall have the Actual delivery date (BT-72)."
            )
        if not buyer.country:
            c.field(
                "BR-IC-12",
                "An intra-community supply shall have the Deliver to country code (BT-80).",
                buyer.origin,
                "country",
            )
    for bucket in document.breakdown:
        if bucket.category in EXEMPTIONS and not (bucket.exemption_code or bucket.exemption_reason):
            c.internal(
                f"BR-{ {'K': 'IC'}.get(bucket.category, bucket.category) }-10",
                "A VAT breakdown without VAT shall have an exemption reason (BT-120/121).",
            )
        if bucket.category not in EXEMPTIONS and (bucket.exemption_code or bucket.exemption_reason):
            c.internal(
                f"BR-{bucket.category}-10",
                "A VAT breakdown with VAT shall not have an exemption reason.",
            )

    # Totals (BR-CO-10 … BR-CO-17): only our own arithmetic can break them.
    lines_sum = sum((line.net_amount for line in document.lines), ZERO)
    if document.line_total != lines_sum:
        c.internal(
            "BR-CO-10",
            "Sum of Invoice line net amount (BT-106) = Σ Invoice line net amount (BT-131).",
        )
    if document.tax_basis_total != lines_sum:
        c.internal(
            "BR-CO-13",
            "Invoice total without VAT (BT-109) = Σ line net amounts - allowances + charges.",
        )
    if document.tax_total != sum((b.tax for b in document.breakdown), ZERO):
        c.internal(
            "BR-CO-14", "Invoice total VAT amount (BT-110) = Σ VAT category tax amount (BT-117)."
        )
    if document.grand_total != document.tax_basis_total + document.tax_total:
        c.internal("BR-CO-15", "Invoice total amount with VAT (BT-112) = BT-109 + BT-110.")
    if document.due_payable != document.grand_total - document.paid_amount:
        c.internal("BR-CO-16", "Amount due for payment (BT-115) = BT-112 - Paid amount (BT-113).")
    for bucket in document.breakdown:
        basis = sum(
            (
                line.net_amount
                for line in document.lines
                if (line.category, line.rate) == (bucket.category, bucket.rate)
            ),
            ZERO,
        )
        if basis != bucket.basis:
            c.internal(
                "BR-S-08", "A VAT category taxable amount (BT-116) = Σ its lines' net amounts."
            )
        expected = round_money(bucket.basis * bucket.rate / Decimal(100))
        if abs(bucket.tax - expected) > TAX_TOLERANCE:
            c.internal(
                "BR-CO-17", "VAT category tax amount (BT-117) = taxable amount x rate / 100."
            )

    # Payment (BR-61): a credit transfer names the account to pay into.
    if document.type_code == "380" and document.due_payable > ZERO and not document.iban:
        c.field(
            "BR-61",
            "A credit transfer shall contain the Payment account (BT-84): the seller's IBAN.",
            seller.origin,
            "iban",
        )
    if (
        document.type_code == "380"
        and document.due_payable > ZERO
        and not (document.due_date or document.payment_terms)
    ):
        c.internal(
            "BR-CO-25",
            "A positive amount due shall have a Payment due date (BT-9) or terms (BT-20).",
        )

    # French CTC rules (XP Z12-012 / Factur-X 1.08 BR-FR-…) for a platform transmission.
    if not seller.siren or not _valid_siren(seller.siren):
        c.field(
            "BR-FR-10",
            "The Seller SIREN (BT-30, scheme 0002) is mandatory and valid.",
            seller.origin,
            "siren",
            "invalid" if seller.siren else "missing",
        )
    if transmitted:
        if not buyer.siren or not _valid_siren(buyer.siren):
            c.field(
                "BR-FR-11",
                "The Buyer SIREN (BT-47, scheme 0002) is mandatory and valid for a B2B invoice.",
                buyer.origin,
                "siren",
                "invalid" if buyer.siren else "missing",
            )
        if not buyer.electronic_address:
            c.field(
                "BR-FR-12",
                "The Buyer electronic address (BT-49) is mandatory.",
                buyer.origin,
                "siren",
            )
        if not seller.electronic_address:
            c.field(
                "BR-FR-13",
                "The Seller electronic address (BT-34) is mandatory.",
                seller.origin,
                "siren",
            )
    return _unique(c.violations)


def _unique(violations: list[Violation]) -> list[Violation]:
    """One entry per field to fix (several rules may point at the same field)."""
    seen: set[tuple[object, ...]] = set()
    result = []
    for violation in violations:
        problem = violation.problem
        key = (problem.model, problem.object_id, problem.field) if problem else (violation.rule,)
        if key not in seen:
            seen.add(key)
            result.append(violation)
    return result


def error_for(violations: list[Violation]) -> AutomationError | None:
    """The cause to raise for broken rules: missing data first (with the settings too),
    then wrong settings, then an internal error naming the rules."""
    if not violations:
        return None
    data = [v.problem for v in violations if v.problem is not None and not v.settings]
    config = [v.problem for v in violations if v.problem is not None and v.settings]
    rules = [v.as_dict() for v in violations]
    error: AutomationError
    if data:
        error = MissingData(data, config)
    elif config:
        error = WrongSettings(config)
    else:
        listed = ", ".join(v.rule for v in violations)
        error = AutomationError(
            f"Internal error: EN 16931 rules broken by the document — {listed}",
            details={"reason": RULES_BROKEN, "listed": listed},
        )
    error.details["rules"] = rules
    return error
