from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import accountant_required
from activity.messages import explain
from activity.models import ActivityLog
from commbilling.http import OrganisationHttpRequest

from . import services
from .forms import CustomerForm
from .models import Customer, Invoice


def _get_invoice_for_user(request: OrganisationHttpRequest, pk: int) -> Invoice:
    return get_object_or_404(
        Invoice.objects.for_organisation(request.organisation).select_related("customer"), pk=pk
    )


def _get_customer_for_user(request: OrganisationHttpRequest, pk: int) -> Customer:
    return get_object_or_404(Customer.objects.for_organisation(request.organisation), pk=pk)


@require_GET
@accountant_required
def invoice_list(request: OrganisationHttpRequest) -> TemplateResponse:
    invoices = Invoice.objects.for_organisation(request.organisation).select_related("customer")
    status = request.GET.get("status", "")
    if status in Invoice.Status.values:
        invoices = invoices.filter(status=status)
    page = Paginator(invoices.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    template = "invoices/list.html#results" if request.htmx else "invoices/list.html"
    return TemplateResponse(
        request,
        template,
        {"page": page, "status": status, "statuses": Invoice.Status.choices},
    )


@require_GET
@accountant_required
def invoice_detail(request: OrganisationHttpRequest, pk: int) -> TemplateResponse:
    invoice = _get_invoice_for_user(request, pk)
    data_problems, settings_problems = services.check_invoice_ready(invoice)
    explanation = None
    if invoice.is_failed or invoice.is_retrying:
        explanation = explain(
            process=invoice.PROCESS,
            cause=invoice.last_cause,
            details=invoice.last_error_details,
            record_label=str(invoice),
        )
    history = ActivityLog.objects.for_record(invoice).select_related("actor")[:50]
    return TemplateResponse(
        request,
        "invoices/detail.html",
        {
            "invoice": invoice,
            "record": invoice,
            "explanation": explanation,
            "lines": invoice.lines.all(),
            "breakdown": invoice.vat_breakdown(),
            "data_problems": data_problems if invoice.status == Invoice.Status.DRAFT else [],
            "settings_problems": settings_problems
            if invoice.status == Invoice.Status.DRAFT
            else [],
            "history": history,
        },
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
        request, "invoices/customer_form.html", {"form": form, "customer": customer}
    )
