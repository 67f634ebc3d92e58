"""Invoice services: readiness, numbering, issuing and PDF generation."""

from datetime import date, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import CompanySettings, Organisation, User
from activity import services as activity
from activity.errors import FieldProblem, MissingData, Unreachable, WrongSettings
from activity.models import Trigger

from .models import Customer, Invoice, NumberSequence

FRENCH_VAT_RATES = {Decimal("0"), Decimal("2.1"), Decimal("5.5"), Decimal("10"), Decimal("20")}

CUSTOMER_REQUIRED = ["legal_name", "street", "postal_code", "city", "country"]
SETTINGS_REQUIRED = ["legal_name", "street", "postal_code", "city", "siren", "vat_number"]


def _problem(record, field: str, fix_url: str, problem: str = "missing") -> FieldProblem:
    return FieldProblem(
        model=record._meta.model_name,
        object_id=record.pk,
        record=str(record),
        field=field,
        label=str(record._meta.get_field(field).verbose_name),
        problem=problem,
        fix_url=fix_url,
    )


def customer_problems(customer: Customer) -> list[FieldProblem]:
    url = customer.get_absolute_url()
    problems = [_problem(customer, f, url) for f in CUSTOMER_REQUIRED if not getattr(customer, f)]
    if customer.is_business:
        if customer.country == "FR" and not customer.siren:
            problems.append(_problem(customer, "siren", url))
        elif customer.country and customer.country != "FR" and not customer.vat_number:
            problems.append(_problem(customer, "vat_number", url))
    for field in ("siren", "siret", "vat_number"):
        value = getattr(customer, field)
        if value:
            try:
                customer._meta.get_field(field).run_validators(value)
            except Exception:
                problems.append(_problem(customer, field, url, "invalid"))
    return problems


def settings_problems(company: CompanySettings) -> list[FieldProblem]:
    url = reverse("accounts:company_settings")
    problems = [_problem(company, f, url) for f in SETTINGS_REQUIRED if not getattr(company, f)]
    for field in ("siren", "vat_number", "invoice_prefix", "default_vat_rate"):
        value = getattr(company, field)
        if value in ("", None):
            continue
        try:
            company._meta.get_field(field).run_validators(value)
        except Exception:
            problems.append(_problem(company, field, url, "invalid"))
    if company.default_vat_rate not in FRENCH_VAT_RATES and not any(
        p.field == "default_vat_rate" for p in problems
    ):
        problems.append(_problem(company, "default_vat_rate", url, "invalid"))
    return problems


def invoice_problems(invoice: Invoice) -> list[FieldProblem]:
    url = invoice.get_absolute_url()
    lines = list(invoice.lines.all())
    problems = []
    if not lines:
        problems.append(
            FieldProblem(
                model="invoice",
                object_id=invoice.pk,
                record=str(invoice),
                field="lines",
                label="lines",
                fix_url=url,
            )
        )
    for line in lines:
        if line.vat_rate not in FRENCH_VAT_RATES:
            problems.append(_problem(line, "vat_rate", url, "invalid"))
        if line.quantity <= 0:
            problems.append(_problem(line, "quantity", url, "invalid"))
    return problems


def company_settings_for(organisation: Organisation) -> CompanySettings:
    company, _ = CompanySettings.objects.get_or_create(organisation=organisation)
    return company


def check_invoice_ready(invoice: Invoice) -> tuple[list[FieldProblem], list[FieldProblem]]:
    """What would block generation: (data problems, settings problems), all at once."""
    data = customer_problems(invoice.customer) + invoice_problems(invoice)
    config = settings_problems(company_settings_for(invoice.organisation))
    return data, config


def format_number(prefix: str, year: int, value: int) -> str:
    return f"{prefix}-{year}-{value:06d}"


def take_next_number(*, organisation: Organisation, kind: str, prefix: str, year: int) -> str:
    """Take the next number of a series. Call inside the transaction that stores it."""
    assert transaction.get_connection().in_atomic_block, "numbers are taken inside a transaction"
    NumberSequence.objects.get_or_create(organisation=organisation, kind=kind, year=year)
    sequence = NumberSequence.objects.select_for_update().get(
        organisation=organisation, kind=kind, year=year
    )
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return format_number(prefix, year, sequence.last_value)


@transaction.atomic
def assign_invoice_number(*, invoice: Invoice, today: date | None = None) -> Invoice:
    """Give the invoice its number once; every retry keeps it."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.number:
        return locked
    company = company_settings_for(locked.organisation)
    today = today or timezone.localdate()
    locked.number = take_next_number(
        organisation=locked.organisation,
        kind="invoice",
        prefix=company.invoice_prefix,
        year=today.year,
    )
    locked.issue_date = today
    locked.due_date = today + timedelta(days=company.payment_terms_days)
    locked.recompute_totals()
    locked.save(
        update_fields=[
            "number",
            "issue_date",
            "due_date",
            "total_excl_vat",
            "total_vat",
            "total_incl_vat",
            "updated_at",
        ]
    )
    return locked


def pdf_path(invoice: Invoice) -> str:
    return f"invoices/{invoice.organisation_id}/{invoice.number}.pdf"


def store_pdf(*, path: str, content: bytes) -> str:
    """Write the PDF at a fixed path, replacing a previous attempt's file (no duplicates)."""
    try:
        if default_storage.exists(path):
            default_storage.delete(path)
        return default_storage.save(path, ContentFile(content))
    except OSError as exc:
        raise Unreachable("storage", f"{type(exc).__name__}: {exc}") from exc


def generate_invoice(*, invoice: Invoice) -> None:
    """Validate, number, render and store an invoice. Raises the cause of a failure."""
    from .pdf import render_invoice_pdf

    data, config = check_invoice_ready(invoice)
    if data:
        raise MissingData(data, config)
    if config:
        raise WrongSettings(config)
    invoice = assign_invoice_number(invoice=invoice)
    content = render_invoice_pdf(invoice)
    stored = store_pdf(path=pdf_path(invoice), content=content)
    with transaction.atomic():
        generated = Invoice.objects.mark_succeeded(
            invoice, status=Invoice.Status.GENERATED, pdf=stored, generated_at=timezone.now()
        )
        if generated and company_settings_for(invoice.organisation).auto_send_invoices:
            # In the transaction that marks it generated: the e-mail is queued (an outbox
            # row the sweeper covers) if and only if the invoice is generated.
            from emails.services import queue_invoice_email

            queue_invoice_email(invoice=Invoice.objects.get(pk=invoice.pk))


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
            message=f"Generation requested by {actor.get_username()}" if actor else "",
        )
