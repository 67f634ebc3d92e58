"""Invoice services: readiness, numbering, issuing and PDF generation."""

from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import CompanySettings, User, company_settings_for, loaded_company_settings
from activity import services as activity
from activity.errors import FieldProblem, MissingData, WrongSettings
from activity.models import Trigger
from commbilling.fields import model_field
from commbilling.vat import FRENCH_VAT_RATES

from . import extensions, mentions, texts
from .mentions import EU_COUNTRIES
from .models import Customer, Invoice
from .numbering import number_in_one_statement, take_next_number
from .storage import store_pdf

CUSTOMER_REQUIRED = ["legal_name", "street", "postal_code", "city", "country"]
SETTINGS_REQUIRED = ["legal_name", "street", "postal_code", "city", "siren"]


def _problem(record, field: str, fix_url: str, problem: str = "missing") -> FieldProblem:
    return FieldProblem.of(record, field, fix_url=fix_url, problem=problem)


def customer_problems(customer: Customer) -> list[FieldProblem]:
    url = customer.get_absolute_url()
    problems = [_problem(customer, f, url) for f in CUSTOMER_REQUIRED if not getattr(customer, f)]
    if customer.is_business:
        if customer.country == "FR" and not customer.siren:
            problems.append(_problem(customer, "siren", url))
        elif customer.country in EU_COUNTRIES - {"FR"} and not customer.vat_number:
            problems.append(_problem(customer, "vat_number", url))
    for field in ("siren", "siret", "vat_number"):
        value = getattr(customer, field)
        if value:
            try:
                model_field(customer, field).run_validators(value)
            except Exception:
                problems.append(_problem(customer, field, url, "invalid"))
    return problems


def settings_problems(company: CompanySettings) -> list[FieldProblem]:
    url = reverse("accounts:company_settings")
    problems = [_problem(company, f, url) for f in SETTINGS_REQUIRED if not getattr(company, f)]
    # A business under the franchise en base may have no VAT number (CGI art. 293 B).
    if not company.vat_number and company.vat_regime != CompanySettings.VatRegime.FRANCHISE:
        problems.append(_problem(company, "vat_number", url))
    problems += mentions.seller_problems(company)
    for field in ("siren", "vat_number", "invoice_prefix", "default_vat_rate"):
        value = getattr(company, field)
        if value in ("", None):
            continue
        try:
            model_field(company, field).run_validators(value)
        except Exception:
            problems.append(_problem(company, field, url, "invalid"))
    if company.default_vat_rate not in FRENCH_VAT_RATES and not any(
        p.field == "default_vat_rate" for p in problems
    ):
        problems.append(_problem(company, "default_vat_rate", url, "invalid"))
    return problems


def invoice_problems(
    invoice: Invoice, company: CompanySettings | None = None
) -> list[FieldProblem]:
    url = invoice.get_absolute_url()
    lines = list(invoice.lines.all())
    problems = []
    if not lines:
        problems.append(FieldProblem.of(invoice, "lines", fix_url=url, label="lines"))
    for line in lines:
        if line.quantity <= 0:
            problems.append(_problem(line, "quantity", url, "invalid"))
    company = company or company_settings_for(invoice.organisation)
    return problems + mentions.line_problems(invoice, lines, company)


def check_invoice_ready(
    invoice: Invoice, company: CompanySettings | None = None
) -> tuple[list[FieldProblem], list[FieldProblem]]:
    """What would block generation: (data problems, settings problems), all at once.
    ``company``: the organisation's settings when the caller has them loaded."""
    company = company or company_settings_for(invoice.organisation)
    data = customer_problems(invoice.customer) + invoice_problems(invoice, company)
    config = settings_problems(company)
    # What apps above add (e-invoicing's rules): one entry per field to fix.
    seen = {(p.model, p.object_id, p.field) for p in data + config}
    for check in extensions.readiness_checks():
        more_data, more_config = check(invoice)
        for found, problems in ((more_data, data), (more_config, config)):
            for problem in found:
                if (key := (problem.model, problem.object_id, problem.field)) not in seen:
                    seen.add(key)
                    problems.append(problem)
    return data, config


def assign_invoice_number(
    *, invoice: Invoice, today: date | None = None, company: CompanySettings | None = None
) -> Invoice:
    """Give the invoice its number once; every retry keeps it.

    The invoice is numbered from the object the caller loaded (its customer, lines and
    company settings are not read again); one numbered by an earlier attempt is returned
    as stored. On PostgreSQL, once its year's series exists, in one statement
    (``numbering.number_in_one_statement``); else with the rows locked one by one. The
    database decides: a number the object holds may come from a rolled-back transaction."""
    company = company or company_settings_for(invoice.organisation)
    today = today or timezone.localdate()
    if connection.vendor == "postgresql" and not invoice.number:
        fields = _issued_fields(invoice, company, today)
        number = number_in_one_statement(
            invoice, kind="invoice", prefix=company.invoice_prefix, year=today.year, fields=fields
        )
        if number:
            invoice.hold_stored_number(number, fields)
            return invoice
    return _assign_invoice_number_locked(invoice, company, today)


def _issued_fields(invoice: Invoice, company: CompanySettings, today: date) -> dict[str, Any]:
    """What numbering stores with the number: dates, the parties' snapshot, the totals."""
    totals = invoice.totals()
    return {
        "issue_date": today,
        "due_date": today + timedelta(days=company.payment_terms_days),
        "seller": mentions.seller_snapshot(company),
        "buyer": mentions.buyer_snapshot(invoice.customer),
        "total_excl_vat": totals.excl_vat,
        "total_vat": totals.vat,
        "total_incl_vat": totals.incl_vat,
        "updated_at": timezone.now(),
    }


@transaction.atomic
def _assign_invoice_number_locked(
    invoice: Invoice, company: CompanySettings, today: date
) -> Invoice:
    """The general path: the invoice row locked, then the series (created if needed)."""
    number = (
        Invoice.objects.select_for_update(of=("self",))
        .filter(pk=invoice.pk)
        .values_list("number", flat=True)
        .get()
    )
    if number:
        return (
            invoice
            if invoice.number == number
            else Invoice.objects.for_generation().get(pk=invoice.pk)
        )
    if invoice.number:
        # Numbered in memory by a transaction that rolled back: start again from the row.
        invoice = Invoice.objects.for_generation().get(pk=invoice.pk)
    fields = _issued_fields(invoice, company, today)
    for name, value in fields.items():
        setattr(invoice, name, value)
    invoice.number = take_next_number(
        organisation=invoice.organisation,
        kind="invoice",
        prefix=company.invoice_prefix,
        year=today.year,
    )
    # One save: from here on the invoice is frozen (models.Invoice.save, migration 0003).
    invoice.save(update_fields=["number", *fields])
    return invoice


def retake_parties(*, invoice: Invoice) -> bool:
    """Copy the seller and the buyer onto an issued invoice again, from the company settings
    and the customer as they are now. Returns whether they changed.

    Only for an invoice that nobody received, which the caller vouches for: an e-invoice
    the platform rejected (213 Rejetée, 221 Erreur de routage) is deemed never issued, and
    is corrected and sent again under its number. Anything else is corrected by a credit
    note; lines, amounts and the number never change here."""
    seller = mentions.seller_snapshot(company_settings_for(invoice.organisation))
    buyer = mentions.buyer_snapshot(invoice.customer)
    if (seller, buyer) == (invoice.seller, invoice.buyer):
        return False
    changed = Invoice.objects.retake_parties(invoice, seller=seller, buyer=buyer)
    invoice.refresh_from_db()
    return changed


def pdf_path(invoice: Invoice) -> str:
    return f"invoices/{invoice.organisation_id}/{invoice.number}.pdf"


def generate_invoice(*, invoice: Invoice) -> Invoice | None:
    """Validate, number, render and store an invoice; return it as generated (with what
    its label needs: its number), None if it was taken over meanwhile. Raises the cause
    of a failure."""
    from .pdf import render_invoice_pdf

    # Read once: the invoice with its customer, organisation, company settings and lines.
    invoice = Invoice.objects.for_generation().get(pk=invoice.pk)
    company = loaded_company_settings(invoice.organisation)
    data, config = check_invoice_ready(invoice, company)
    if data:
        raise MissingData(data, config)
    if config:
        raise WrongSettings(config)
    invoice = assign_invoice_number(invoice=invoice, company=company)
    content = render_invoice_pdf(invoice, company=company)
    stored = store_pdf(path=pdf_path(invoice), content=content)
    # Its follow-ups (the automatic e-mail, see emails.apps) are created by receivers of
    # activity.signals.status_changed, inside this same UPDATE's transaction: they exist
    # if and only if the invoice is generated.
    if not Invoice.objects.mark_succeeded(
        invoice, status=Invoice.Status.GENERATED, pdf=stored, generated_at=timezone.now()
    ):
        return None  # no longer ours (taken over): the runner reads what it became
    return invoice


def issue_invoice(*, invoice: Invoice, actor: User | None, trigger: str = Trigger.USER) -> bool:
    """Draft → queued: generation happens in a worker after the transaction commits."""
    with transaction.atomic():
        invoice.recompute_totals()
        Invoice.objects.filter(pk=invoice.pk).update(
            total_excl_vat=invoice.total_excl_vat,
            total_vat=invoice.total_vat,
            total_incl_vat=invoice.total_incl_vat,
        )
        return activity.queue_record(
            record=invoice,
            from_statuses=(Invoice.Status.DRAFT,),
            actor=actor,
            trigger=trigger,
            message=texts.GENERATION_REQUESTED(actor=actor.get_username()) if actor else "",
        )


def settle_invoice_status(*, invoice: Invoice) -> None:
    """Save the invoice's amounts and move it to the status they call for (Partiellement
    payée, Payée, Annulée), through its queryset like every status change. The caller holds
    the invoice row lock (select_for_update)."""
    sent = invoice.status == Invoice.Status.SENT or (
        invoice.emails.filter(kind="invoice", sent_at__isnull=False).exists()
    )
    status = invoice.settlement_status(sent=sent)
    paid_at = (invoice.paid_at or timezone.now()) if status == Invoice.Status.PAID else None
    amounts: dict[str, Any] = {
        "amount_paid": invoice.amount_paid,
        "amount_credited": invoice.amount_credited,
        "amount_refunded": invoice.amount_refunded,
        "paid_at": paid_at,
        "updated_at": timezone.now(),
    }
    if status == invoice.status:
        Invoice.objects.filter(pk=invoice.pk).update(**amounts)
    else:
        Invoice.objects.transition(invoice, to=status, from_statuses=[invoice.status], **amounts)
    invoice.status, invoice.paid_at = status, paid_at
