import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F, Q
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accounts.decorators import accountant_required
from activity import services as activity
from activity.models import ActivityLog, Event, Trigger
from commbilling.http import INVALID_FORM_STATUS, OrganisationHttpRequest
from commbilling.pagination import CappedPaginator
from commbilling.spreadsheet import csv_response

from . import extensions, services, texts
from .forms import (
    CustomerForm,
    CustomerSearchForm,
    InvoiceForm,
    customer_fields_to_fix,
    customer_fix_form_class,
    line_formset_class,
)
from .models import Customer, Invoice

PAGE_SIZE = 50
# Sort keys the list accepts; anything else falls back to the newest first.
SORTS: dict[str, list] = {
    "date": [F("issue_date").asc(nulls_first=True), "created_at", "id"],
    "-date": [F("issue_date").desc(nulls_last=True), "-created_at", "-id"],
    "number": [F("number").asc(nulls_first=True), "id"],
    "-number": [F("number").desc(nulls_last=True), "-id"],
    "total": ["total_incl_vat", "id"],
    "-total": ["-total_incl_vat", "-id"],
    "status": ["status", "-created_at", "-id"],
    "-status": ["-status", "-created_at", "-id"],
}
DEFAULT_ORDER = ["-created_at", "-id"]


def _get_invoice_for_user(request: OrganisationHttpRequest, pk: int) -> Invoice:
    return get_object_or_404(
        Invoice.objects.for_organisation(request.organisation).select_related("customer"), pk=pk
    )


def _get_customer_for_user(request: OrganisationHttpRequest, pk: int) -> Customer:
    return get_object_or_404(Customer.objects.for_organisation(request.organisation), pk=pk)


def _page_template(request: OrganisationHttpRequest, template: str, partial: str) -> str:
    return f"{template}#{partial}" if request.htmx else template


# --- Invoices list ---------------------------------------------------------------


def _filtered_invoices(request: OrganisationHttpRequest):
    """The organisation's invoices as the list's filters and sort ask (the page and its CSV)."""
    invoices = Invoice.objects.for_organisation(request.organisation).select_related("customer")
    status = request.GET.get("status", "")
    if status in Invoice.Status.values:
        invoices = invoices.filter(status=status)
    else:
        status = ""
    # Filters that apps above add (invoices.extensions): by e-invoicing status.
    extra = []
    for list_filter in extensions.list_filters():
        value = request.GET.get(list_filter.param, "")
        condition = list_filter.condition(value)
        if condition is not None:
            invoices = invoices.filter(condition)
        else:
            value = ""
        extra.append({"filter": list_filter, "value": value, "choices": list_filter.choices()})
    q = request.GET.get("q", "").strip()[:100]
    if q:
        invoices = invoices.filter(Q(number__istartswith=q) | Q(customer__legal_name__icontains=q))
    sort = request.GET.get("sort", "")
    if sort not in SORTS:
        sort = ""
    invoices = invoices.order_by(*(SORTS[sort] if sort else DEFAULT_ORDER))
    return invoices, status, q, sort, extra


@require_GET
@accountant_required
def invoice_export(request: OrganisationHttpRequest) -> StreamingHttpResponse:
    """The list as filtered, for a spreadsheet: amounts and dates in the reader's format."""
    invoices, *_filters = _filtered_invoices(request)
    header = [
        _("Number"), _("Customer"), _("Status"), _("Issue date"), _("Due date"),
        _("Total excl. VAT"), _("VAT"), _("Total incl. VAT"), _("Paid"), _("Refunded"),
    ]  # fmt: skip
    rows = (
        (
            i.number or str(i),
            i.customer.legal_name,
            i.get_status_display(),
            i.issue_date,
            i.due_date,
            i.total_excl_vat,
            i.total_vat,
            i.total_incl_vat,
            i.amount_paid,
            i.amount_refunded,
        )
        for i in invoices.iterator(chunk_size=2000)
    )
    return csv_response(_("invoices") + ".csv", header, rows)


@require_GET
@accountant_required
def invoice_list(request: OrganisationHttpRequest) -> TemplateResponse:
    invoices, status, q, sort, extra_filters = _filtered_invoices(request)
    paginator = CappedPaginator(invoices, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    columns = [
        ("number", _("Number")),
        ("customer", _("Customer")),
        ("status", _("Status")),
        ("total", _("Total incl. VAT")),
        ("date", _("Issue date")),
    ]
    headers = [
        {
            "key": key,
            "label": label,
            "sortable": key != "customer",
            "active": sort.lstrip("-") == key,
            "descending": sort.startswith("-"),
            "next": f"-{key}" if sort == key else key,
        }
        for key, label in columns
    ]
    # Each row with the badges apps above add (its e-invoicing status), read for the
    # page at once.
    invoices_of_page = list(page.object_list)
    badges = [
        provider(request.organisation, invoices_of_page) for provider in extensions.row_badges()
    ]
    rows = [
        (invoice, [b[invoice.pk] for b in badges if invoice.pk in b])
        for invoice in invoices_of_page
    ]
    return TemplateResponse(
        request,
        _page_template(request, "invoices/list.html", "results"),
        {
            "page": page,
            "rows": rows,
            "status": status,
            "q": q,
            "sort": sort,
            "statuses": Invoice.Status.choices,
            "extra_filters": extra_filters,
            "headers": headers,
            "query": query.urlencode(),
            "sort_query": sort_query.urlencode(),
            # The bulk send's one-time token: a double submit finds the batch it started.
            "batch_token": uuid.uuid4().hex,
        },
    )


# --- Invoice create / edit ---------------------------------------------------------


@transaction.atomic
def _save_draft(*, form: InvoiceForm, formset, organisation, user) -> Invoice:
    invoice = form.save(commit=False)
    if invoice.pk is None:
        invoice.organisation = organisation
        invoice.created_by = user
    invoice.save()
    formset.instance = invoice
    lines = formset.save(commit=False)
    for line in formset.deleted_objects:
        line.delete()
    last = max((line.position for line in invoice.lines.all()), default=-1)
    for line in lines:
        if line.pk is None:
            last += 1
            line.position = last
        line.save()
    invoice.recompute_totals()
    invoice.save(update_fields=["total_excl_vat", "total_vat", "total_incl_vat", "updated_at"])
    return invoice


def _invoice_form_response(
    request: OrganisationHttpRequest, invoice: Invoice | None, *, extra: int
) -> HttpResponse:
    FormSet = line_formset_class(extra=extra)
    company = services.company_settings_for(request.organisation)
    data = request.POST if request.method == "POST" else None
    initial = {"customer": request.GET.get("customer")} if invoice is None else {}
    form = InvoiceForm(data, instance=invoice, initial=initial, organisation=request.organisation)
    formset = FormSet(
        data,
        instance=invoice or Invoice(organisation=request.organisation),
        prefix="lines",
        initial=[{"vat_rate": company.default_vat_rate}] * extra,
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        with transaction.atomic():
            # Lock the row: an "Issue" in another tab must not race with this save.
            if invoice is not None and not (
                Invoice.objects.select_for_update()
                .filter(pk=invoice.pk, status=Invoice.Status.DRAFT)
                .first()
            ):
                messages.error(request, _("Only a draft can be edited."))
                return redirect(invoice)
            saved = _save_draft(
                form=form, formset=formset, organisation=request.organisation, user=request.user
            )
        messages.success(request, _("Draft saved."))
        return redirect(saved)
    return TemplateResponse(
        request,
        "invoices/invoice_form.html",
        {"form": form, "formset": formset, "invoice": invoice},
    )


@require_http_methods(["GET", "POST"])
@accountant_required
def invoice_create(request: OrganisationHttpRequest) -> HttpResponse:
    return _invoice_form_response(request, None, extra=3)


@require_http_methods(["GET", "POST"])
@accountant_required
def invoice_edit(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    invoice = _get_invoice_for_user(request, pk)
    if invoice.status != Invoice.Status.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return redirect(invoice)
    return _invoice_form_response(request, invoice, extra=1)


# --- Invoice detail ----------------------------------------------------------------


def _fix_context(request: OrganisationHttpRequest, invoice: Invoice, form=None) -> dict:
    fields = customer_fields_to_fix(invoice)
    if fields and form is None:
        form = customer_fix_form_class(fields)(instance=invoice.customer)
    return {"invoice": invoice, "fix_form": form if fields else None}


@require_GET
@accountant_required
def invoice_detail(request: OrganisationHttpRequest, pk: int) -> TemplateResponse:
    invoice = _get_invoice_for_user(request, pk)
    is_draft = invoice.status == Invoice.Status.DRAFT
    data_problems, settings_problems = (
        services.check_invoice_ready(invoice) if is_draft else ([], [])
    )
    history = ActivityLog.objects.for_record(invoice).select_related("actor")[:50]
    return TemplateResponse(
        request,
        "invoices/detail.html",
        {
            **_fix_context(request, invoice),
            "payments": invoice.payments.select_related("recorded_by", "cancelled_by"),
            "credit_notes": invoice.credit_notes.all(),
            "can_record_payment": invoice.status in Invoice.OPEN_STATUSES,
            "can_credit": invoice.is_issued
            and invoice.status in Invoice.SETTLEMENT_STATUSES
            and invoice.amount_due > 0,
            "record": invoice,
            "lines": invoice.lines.all(),
            "breakdown": invoice.vat_breakdown(),
            "data_problems": data_problems,
            "settings_problems": settings_problems,
            "history": history,
        },
    )


@require_http_methods(["GET", "POST"])
@accountant_required
def invoice_fix_customer(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    """The inline form of a failed invoice's page: exactly the customer fields it named."""
    invoice = _get_invoice_for_user(request, pk)
    fields = customer_fields_to_fix(invoice)
    if not fields:
        if request.htmx:
            return TemplateResponse(request, "invoices/detail.html#fix", {"invoice": invoice})
        return redirect(invoice)
    customer = invoice.customer
    form = customer_fix_form_class(fields)(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            activity.log_event(
                record=invoice,
                process=invoice.process.name,
                event=Event.FIXED,
                actor=request.user,
                trigger=Trigger.USER,
                message=texts.CUSTOMER_COMPLETED(
                    customer=str(customer),
                    actor=request.user.get_username(),
                    fields=form.changed_data,
                ),
                details={"model": "customer", "object_id": customer.pk, "fields": fields},
            )
        if not request.htmx:
            messages.success(request, _("Customer saved."))
            return redirect(invoice)
        return TemplateResponse(
            request,
            "invoices/_unblocked.html",
            {
                "customer": customer,
                "unblocked": activity.failures_unblocked_by(model_field_owner=customer),
                "saved": True,
            },
        )
    if not request.htmx and request.method == "GET":
        return redirect(invoice)
    return TemplateResponse(
        request,
        "invoices/detail.html#fix" if request.htmx else "invoices/fix_customer.html",
        _fix_context(request, invoice, form),
        status=INVALID_FORM_STATUS if form.errors else 200,
    )


@require_POST
@accountant_required
def invoice_issue(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    invoice = _get_invoice_for_user(request, pk)
    if services.issue_invoice(invoice=invoice, actor=request.user):
        messages.success(request, _("Generation queued: the PDF will be ready in a moment."))
    else:
        messages.info(request, _("This invoice is already issued."))
    return redirect(invoice)


@require_GET
@xframe_options_sameorigin  # the invoice page previews its PDF in a frame
@accountant_required
def invoice_pdf(request: OrganisationHttpRequest, pk: int) -> FileResponse:
    invoice = _get_invoice_for_user(request, pk)
    if not invoice.pdf:
        raise Http404(_("This invoice has no PDF yet."))
    inline = request.GET.get("inline") == "1"
    return FileResponse(
        invoice.pdf.open("rb"),
        as_attachment=not inline,
        filename=f"{invoice.number}.pdf",
        content_type="application/pdf",
    )


# --- Customers ---------------------------------------------------------------------


@require_GET
@accountant_required
def customer_list(request: OrganisationHttpRequest) -> TemplateResponse:
    form = CustomerSearchForm(request.GET or None)
    customers = Customer.objects.for_organisation(request.organisation).order_by("legal_name", "id")
    q = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if q:
        customers = customers.filter(
            Q(legal_name__icontains=q) | Q(contact_name__icontains=q) | Q(email__icontains=q)
        )
    page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return TemplateResponse(
        request,
        _page_template(request, "invoices/customer_list.html", "results"),
        {"form": form, "page": page, "q": q, "query": query.urlencode()},
    )


@require_http_methods(["GET", "POST"])
@accountant_required
def customer_create(request: OrganisationHttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        customer = form.save(commit=False)
        customer.organisation = request.organisation
        customer.save()
        messages.success(request, _("Customer saved."))
        return redirect(customer.get_absolute_url())
    return TemplateResponse(request, "invoices/customer_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@accountant_required
def customer_edit(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    customer = _get_customer_for_user(request, pk)
    form = CustomerForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Customer saved."))
        return redirect(customer.get_absolute_url())
    return TemplateResponse(
        request,
        "invoices/customer_form.html",
        {
            "form": form,
            "customer": customer,
            "unblocked": activity.failures_unblocked_by(model_field_owner=customer),
            "invoices": customer.invoices.order_by("-created_at", "-id")[:10],
        },
    )


@require_POST
@accountant_required
def customer_rerun_failed(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    """Re-run every failed task that named this customer's data. Each record is queued
    at most once: a second POST finds them queued already and does nothing."""
    customer = _get_customer_for_user(request, pk)
    queued = [
        record
        for record in activity.failures_unblocked_by(model_field_owner=customer)
        if activity.retry_record(record=record, actor=request.user)
    ]
    if queued:
        notice = ngettext(
            "%(n)d failed task queued again.", "%(n)d failed tasks queued again.", len(queued)
        ) % {"n": len(queued)}
    else:
        notice = _("No failed task to queue again: they are all queued or done already.")
    if not request.htmx:
        messages.success(request, notice)
        return redirect(customer)
    response = TemplateResponse(
        request,
        "invoices/_unblocked.html",
        {"customer": customer, "unblocked": [], "requeued": queued, "notice": notice},
    )
    return trigger_client_event(response, "records-requeued")
