from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import accountant_required
from activity.models import ActivityLog
from commbilling.http import INVALID_FORM_STATUS, OrganisationHttpRequest
from commbilling.l10n import format_amount
from commbilling.pagination import keyset_paginate
from invoices.models import Invoice

from . import credit_notes, services
from .forms import CreditNoteForm, RefundFilterForm, RefundRequestForm
from .models import CreditNote, Refund


def _get_refund_for_user(request: OrganisationHttpRequest, pk: int) -> Refund:
    return get_object_or_404(
        Refund.objects.for_organisation(request.organisation).select_related(
            "invoice", "invoice__customer", "requested_by", "approved_by"
        ),
        pk=pk,
    )


def _get_invoice_for_user(request: OrganisationHttpRequest, pk: int) -> Invoice:
    return get_object_or_404(
        Invoice.objects.for_organisation(request.organisation).select_related("customer"), pk=pk
    )


def _require(request: OrganisationHttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


@require_GET
@accountant_required
def refund_list(request: OrganisationHttpRequest) -> TemplateResponse:
    form = RefundFilterForm(request.GET or None)
    refunds = form.filter(
        Refund.objects.for_organisation(request.organisation).select_related(
            "invoice", "invoice__customer", "credit_note"
        )
    )
    page = keyset_paginate(refunds, request.GET.get("cursor"), size=50)
    query = request.GET.copy()
    query.pop("cursor", None)
    template = "refunds/list.html#results" if request.htmx else "refunds/list.html"
    return TemplateResponse(
        request, template, {"form": form, "page": page, "query": query.urlencode()}
    )


@require_GET
@accountant_required
def refund_detail(request: OrganisationHttpRequest, pk: int) -> TemplateResponse:
    refund = _get_refund_for_user(request, pk)
    credit_note = getattr(refund, "credit_note", None)
    history = ActivityLog.objects.for_record(refund).select_related("actor")[:50]
    return TemplateResponse(
        request,
        "refunds/detail.html",
        {
            "refund": refund,
            "record": refund,
            "credit_note": credit_note,
            "history": history,
            "can_approve": request.user.has_perm("refunds.approve_refund"),
            "can_cancel": refund.status == Refund.Status.PENDING_APPROVAL
            or (refund.is_failed and services.refund_is_known_absent(refund)),
        },
    )


@require_http_methods(["GET", "POST"])
@accountant_required
def refund_request(request: OrganisationHttpRequest, invoice_pk: int) -> HttpResponse:
    invoice = _get_invoice_for_user(request, invoice_pk)
    _require(request, "refunds.add_refund")
    initial = {"amount": services.refundable_amount(invoice)}
    form = RefundRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            refund = services.request_refund(
                invoice=invoice,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                requested_by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if refund.status == Refund.Status.PENDING_APPROVAL:
                messages.info(request, _("Refund requested: an administrator must approve it."))
            else:
                messages.success(request, _("Refund requested: it is being processed."))
            if request.htmx:
                from django_htmx.http import HttpResponseClientRedirect

                return HttpResponseClientRedirect(refund.get_absolute_url())
            return redirect(refund)
    template = "refunds/request.html#form" if request.htmx else "refunds/request.html"
    return TemplateResponse(
        request,
        template,
        {
            "form": form,
            "invoice": invoice,
            "refundable": services.refundable_amount(invoice),
            "held": services.held_amount(invoice),
        },
        status=INVALID_FORM_STATUS if form.errors else 200,
    )


@require_POST
@accountant_required
def refund_approve(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    refund = _get_refund_for_user(request, pk)
    _require(request, "refunds.approve_refund")
    if services.approve_refund(refund=refund, approved_by=request.user):
        messages.success(request, _("Refund approved: it is being processed."))
    else:
        messages.info(request, _("This refund is not waiting for approval any more."))
    return redirect(refund)


@require_POST
@accountant_required
def refund_cancel(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    refund = _get_refund_for_user(request, pk)
    if refund.status == Refund.Status.PENDING_APPROVAL:
        _require(request, "refunds.approve_refund")
    else:
        _require(request, "refunds.add_refund")
    if services.cancel_refund(refund=refund, actor=request.user):
        messages.success(request, _("Refund cancelled: its amount can be refunded again."))
    else:
        messages.error(
            request,
            _(
                "This refund cannot be cancelled: only refunds waiting for approval, or failed "
                "ones the provider does not have, can."
            ),
        )
    return redirect(refund)


@require_POST
@accountant_required
def refund_confirm_transfer(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    refund = _get_refund_for_user(request, pk)
    _require(request, "refunds.add_refund")
    if services.confirm_transfer(refund=refund, actor=request.user):
        messages.success(request, _("Transfer confirmed: the credit note is issued."))
    else:
        messages.info(request, _("This refund is not waiting for a transfer."))
    return redirect(refund)


@require_POST
@accountant_required
def refund_reconcile(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    refund = _get_refund_for_user(request, pk)
    status = services.reconcile_refund(refund=refund, actor=request.user)
    notices: dict[str, str] = {
        Refund.Status.REFUNDED: _("The provider has this refund: it is marked refunded."),
        Refund.Status.FAILED: _(
            "The provider has no such refund: it was not executed. Retry sends it safely."
        ),
        Refund.Status.UNKNOWN: _("The provider could not be asked; try again later."),
    }
    messages.info(request, notices.get(status, _("This refund is not to be checked.")))
    return redirect(refund)


@require_GET
@accountant_required
def credit_note_pdf(request: OrganisationHttpRequest, pk: int) -> FileResponse:
    refund = _get_refund_for_user(request, pk)
    _require(request, "refunds.view_creditnote")
    credit_note = getattr(refund, "credit_note", None)
    if credit_note is None or not credit_note.pdf:
        raise Http404(_("This refund has no credit note yet."))
    return FileResponse(
        credit_note.pdf.open("rb"),
        as_attachment=request.GET.get("inline") != "1",
        filename=f"{credit_note.number}.pdf",
        content_type="application/pdf",
    )


# --- Credit notes (corrections) ------------------------------------------------------


@require_http_methods(["GET", "POST"])
@accountant_required
def credit_invoice(request: OrganisationHttpRequest, invoice_pk: int) -> HttpResponse:
    """ "Annuler par avoir" (the whole invoice) or "Avoir partiel" (?partial=1: chosen
    lines, quantities and prices), with a reason."""
    invoice = _get_invoice_for_user(request, invoice_pk)
    _require(request, "refunds.add_creditnote")
    partial = request.GET.get("partial") == "1"
    lines = list(invoice.lines.all())
    form = CreditNoteForm(request.POST or None, lines=lines, partial=partial)
    if request.method == "POST" and form.is_valid():
        try:
            note = credit_notes.credit_invoice(
                invoice=invoice,
                reason=form.cleaned_data["reason"],
                actor=request.user,
                lines=form.credited_lines() if partial else None,
            )
        except credit_notes.CreditNoteRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                _("Credit note %(number)s issued for %(amount)s.")
                % {"number": note.number, "amount": format_amount(note.amount)},
            )
            return redirect(invoice)
    return TemplateResponse(
        request,
        "refunds/credit_invoice.html",
        {"invoice": invoice, "form": form, "partial": partial},
        status=INVALID_FORM_STATUS if form.errors else 200,
    )


@require_GET
@accountant_required
def credit_note_file(request: OrganisationHttpRequest, pk: int) -> FileResponse:
    _require(request, "refunds.view_creditnote")
    note = get_object_or_404(CreditNote.objects.for_organisation(request.organisation), pk=pk)
    if not note.pdf:
        raise Http404(_("This credit note has no PDF."))
    return FileResponse(
        note.pdf.open("rb"),
        as_attachment=request.GET.get("inline") != "1",
        filename=f"{note.number}.pdf",
        content_type="application/pdf",
    )
