"""What French law requires an invoice to say, and what each case needs before issue.

Sources: CGI art. 242 nonies A (mentions), art. 293 B (franchise en base), art. 283-2 and
directive 2006/112/CE art. 196 (reverse charge on intra-EU B2B services), art. 262 ter I
(intra-EU supply of goods), art. 262 I (export); Code de commerce L441-9, L441-10 and
D441-5 (payment terms, penalties, the 40 € indemnity), R123-237 (legal form, capital,
registry and city); décret 2022-1299 (buyer SIREN, delivery address, category of the
operation, option for VAT on debits).
"""

from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import CompanySettings
from activity.errors import FieldProblem
from commbilling.fields import model_field

from .models import Customer, Invoice, InvoiceLine, OperationCategory, VatCategory

# EU member states (ISO 3166-1 alpha-2), for intra-EU supplies and exports.
EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
# Legal forms of an individual entrepreneur, who has no share capital.
INDIVIDUAL_FORMS = frozenset({"EI", "EIRL", "MICRO-ENTREPRENEUR", "AUTO-ENTREPRENEUR"})
STANDARD_RATES = frozenset({Decimal("2.1"), Decimal("5.5"), Decimal("10"), Decimal("20")})

SELLER_FIELDS = [
    "legal_name",
    "legal_form",
    "share_capital",
    "street",
    "postal_code",
    "city",
    "country",
    "siren",
    "siret",
    "vat_number",
    "registry",
    "registry_city",
    "vat_regime",
    "vat_on_debits",
    "iban",
    "bic",
    "payment_terms_days",
    "late_penalty_rate",
    "early_payment_discount",
]
BUYER_FIELDS = [
    "legal_name",
    "contact_name",
    "customer_type",
    "street",
    "postal_code",
    "city",
    "country",
    "siren",
    "siret",
    "vat_number",
    "delivery_street",
    "delivery_postal_code",
    "delivery_city",
    "delivery_country",
    "language",
]


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def seller_snapshot(company: CompanySettings) -> dict[str, Any]:
    """The seller as printed on the invoice, copied when it takes its number. Decimal
    values are kept as strings ("10000.00")."""
    return {field: _plain(getattr(company, field)) for field in SELLER_FIELDS}


def buyer_snapshot(customer: Customer) -> dict[str, Any]:
    return {field: _plain(getattr(customer, field)) for field in BUYER_FIELDS}


def is_individual(legal_form: str) -> bool:
    return legal_form.strip().upper() in INDIVIDUAL_FORMS


def has_delivery_address(buyer: dict[str, Any]) -> bool:
    delivery = [buyer.get(f"delivery_{f}", "") for f in ("street", "postal_code", "city")]
    billing = [buyer.get(f, "") for f in ("street", "postal_code", "city")]
    return any(delivery) and delivery != billing


def vat_wording(category: str, reason: str, *, seller: dict, buyer: dict) -> str:
    """The words a line's VAT category requires on the invoice when no French VAT is
    charged (empty for standard and reduced rates)."""
    if category == VatCategory.EXEMPT:
        if seller.get("vat_regime") == CompanySettings.VatRegime.FRANCHISE:
            return _("VAT not applicable, art. 293 B of the CGI")
        return reason
    if category == VatCategory.REVERSE_CHARGE:
        if buyer.get("country", "FR") in EU_COUNTRIES - {"FR"}:
            return _("Reverse charge — art. 283-2 of the CGI and art. 196 of directive 2006/112/EC")
        return _("Reverse charge")
    if category == VatCategory.INTRA_EU:
        return _("VAT exemption, article 262 ter, I of the CGI")
    if category == VatCategory.EXPORT:
        return _("VAT exemption, article 262 I of the CGI")
    if category == VatCategory.OUTSIDE_SCOPE:
        return reason or _("Outside the scope of VAT")
    return ""


def invoice_vat_wordings(lines: list[Any], *, seller: dict, buyer: dict) -> list[str]:
    """The distinct VAT wordings of a document's lines, in line order."""
    wordings: list[str] = []
    for line in lines:
        text = vat_wording(line.vat_category, line.vat_exemption_reason, seller=seller, buyer=buyer)
        if text and text not in wordings:
            wordings.append(text)
    return wordings


# --- Readiness: what each case requires before the invoice can be issued -------------


def _problem(
    record, field: str, fix_url: str, problem: str = "missing", why: str = ""
) -> FieldProblem:
    label = str(model_field(record, field).verbose_name)
    return FieldProblem.of(
        record, field, fix_url=fix_url, problem=problem, label=f"{label} — {why}" if why else label
    )


def seller_problems(company: CompanySettings) -> list[FieldProblem]:
    url = reverse("accounts:company_settings")
    problems = []
    if not company.legal_form:
        problems.append(_problem(company, "legal_form", url))
    elif company.share_capital is None and not is_individual(company.legal_form):
        problems.append(
            _problem(company, "share_capital", url, why=_("required for a company (R123-237)"))
        )
    if company.registry and not company.registry_city:
        problems.append(_problem(company, "registry_city", url))
    return problems


def line_problems(
    invoice: Invoice, lines: list[InvoiceLine], company: CompanySettings
) -> list[FieldProblem]:
    """Per-line VAT rules, and what the buyer must have for the categories used."""
    url = invoice.get_absolute_url()
    customer = invoice.customer
    customer_url = customer.get_absolute_url()
    franchise = company.vat_regime == CompanySettings.VatRegime.FRANCHISE
    categories = {line.vat_category for line in lines}
    problems = []
    for line in lines:
        category = line.vat_category
        if category == VatCategory.STANDARD:
            if line.vat_rate not in STANDARD_RATES:
                problems.append(_problem(line, "vat_rate", url, "invalid"))
            if franchise:
                problems.append(
                    _problem(
                        line,
                        "vat_category",
                        url,
                        "invalid",
                        _("no VAT is charged under the franchise en base (art. 293 B)"),
                    )
                )
        elif line.vat_rate != 0:
            problems.append(
                _problem(line, "vat_rate", url, "invalid", _("a rate of 0 for this VAT category"))
            )
        if category == VatCategory.EXEMPT and not franchise and not line.vat_exemption_reason:
            problems.append(
                _problem(line, "vat_exemption_reason", url, why=_("the article of the exemption"))
            )
    if categories & {VatCategory.REVERSE_CHARGE, VatCategory.INTRA_EU} and not (
        customer.vat_number
    ):
        problems.append(
            _problem(
                customer,
                "vat_number",
                customer_url,
                why=_("required for reverse charge or an intra-EU supply"),
            )
        )
    if VatCategory.INTRA_EU in categories:
        if customer.country not in EU_COUNTRIES - {"FR"}:
            problems.append(
                _problem(
                    customer,
                    "country",
                    customer_url,
                    "invalid",
                    _("an intra-EU supply goes to another EU country"),
                )
            )
        if invoice.operation_category == OperationCategory.SERVICES:
            problems.append(
                _problem(
                    invoice,
                    "operation_category",
                    url,
                    "invalid",
                    _("an intra-EU supply of goods is not a provision of services"),
                )
            )
    if VatCategory.EXPORT in categories and (customer.country or "FR") in EU_COUNTRIES:
        problems.append(
            _problem(
                customer,
                "country",
                customer_url,
                "invalid",
                _("an export goes to a country outside the EU"),
            )
        )
    if invoice.period_start and invoice.period_end and invoice.period_start > invoice.period_end:
        problems.append(_problem(invoice, "period_end", url, "invalid"))
    return problems
