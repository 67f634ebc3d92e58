from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import accountant_required
from commbilling.http import OrganisationHttpRequest
from commbilling.l10n import format_amount
from invoices.models import Invoice

from . import services, statements
from .forms import CancelPaymentForm, PaymentForm, StatementUploadForm
from .models import BankStatement, BankStatementLine, Payment


def _require(request: OrganisationHttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _get_invoice_for_user(request: OrganisationHttpRequest, pk: int) -> Invoice:
    return get_object_or_404(Invoice.objects.for_organisation(request.organisation), pk=pk)


def _get_payment_for_user(request: OrganisationHttpRequest, pk: int) -> Payment:
    return get_object_or_404(
        Payment.objects.for_organisation(request.organisation).select_related("invoice"), pk=pk
    )


def _get_statement_for_user(request: OrganisationHttpRequest, pk: int) -> BankStatement:
    return get_object_or_404(BankStatement.objects.for_organisation(request.organisation), pk=pk)


@require_http_methods(["GET", "POST"])
@accountant_required
def payment_record(request: OrganisationHttpRequest, invoice_pk: int) -> HttpResponse:
    """Record a payment received for an invoice (full or partial)."""
    invoice = _get_invoice_for_user(request, invoice_pk)
    _require(request, "payments.add_payment")
    form = PaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.record_payment(
                invoice=invoice,
                amount=form.cleaned_data["amount"],
                paid_on=form.cleaned_data["paid_on"],
                method=form.cleaned_data["method"],
                reference=form.cleaned_data["reference"],
                actor=request.user,
            )
        except services.PaymentRefused as refused:
            form.add_error("amount", str(refused))
        else:
            messages.success(
                request,
                _("Payment of %(amount)s recorded.") % {"amount": format_amount(payment.amount)},
            )
            return redirect(invoice)
    return TemplateResponse(
        request,
        "payments/record.html",
        {"invoice": invoice, "form": form},
        status=422 if form.errors else 200,
    )


@require_POST
@accountant_required
def payment_cancel(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    payment = _get_payment_for_user(request, pk)
    _require(request, "payments.change_payment")
    form = CancelPaymentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the payment is cancelled."))
        return redirect(payment.invoice)
    try:
        cancelled = services.cancel_payment(
            payment=payment, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except services.PaymentRefused as refused:
        messages.error(request, str(refused))
    else:
        if cancelled:
            messages.success(request, _("Payment cancelled."))
        else:
            messages.info(request, _("This payment was already cancelled."))
    return redirect(payment.invoice)


# --- Bank statements ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@accountant_required
def statement_list(request: OrganisationHttpRequest) -> HttpResponse:
    _require(request, "payments.view_bankstatement")
    if request.method == "POST":
        _require(request, "payments.add_bankstatement")
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            statement = statements.import_statement(
                organisation=request.organisation,
                filename=upload.name,
                content=upload.read(),
                actor=request.user,
            )
        except statements.StatementUnreadable as unreadable:
            form.add_error("file", str(unreadable))
        else:
            return redirect("payments:statement", pk=statement.pk)
    return TemplateResponse(
        request,
        "payments/statements.html",
        {
            "form": form,
            "statements": BankStatement.objects.for_organisation(request.organisation)[:50],
        },
        status=422 if form.errors else 200,
    )


@require_GET
@accountant_required
def statement_detail(request: OrganisationHttpRequest, pk: int) -> TemplateResponse:
    statement = _get_statement_for_user(request, pk)
    _require(request, "payments.view_bankstatement")
    lines = statement.lines.select_related("proposed_invoice", "proposed_invoice__customer")
    return TemplateResponse(
        request,
        "payments/statement.html",
        {
            "statement": statement,
            "proposed": [line for line in lines if line.status == "proposed"],
            "unmatched": [line for line in lines if line.status == "unmatched"],
            "confirmed": [line for line in lines if line.status == "confirmed"],
        },
    )


@require_POST
@accountant_required
def statement_confirm_all(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    statement = _get_statement_for_user(request, pk)
    _require(request, "payments.add_payment")
    recorded, problems = statements.confirm_proposed(statement=statement, actor=request.user)
    messages.success(
        request,
        ngettext("%(n)d payment recorded.", "%(n)d payments recorded.", recorded) % {"n": recorded},
    )
    for problem in problems:
        messages.error(request, problem)
    return redirect("payments:statement", pk=statement.pk)


@require_POST
@accountant_required
def line_confirm(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    """Confirm one line, on its proposed invoice or on the invoice number typed for it."""
    line = get_object_or_404(
        BankStatementLine.objects.for_organisation(request.organisation), pk=pk
    )
    _require(request, "payments.add_payment")
    invoice = None
    number = request.POST.get("invoice_number", "").strip()
    if number:
        invoice = (
            Invoice.objects.for_organisation(request.organisation)
            .filter(number__iexact=number)
            .first()
        )
        if invoice is None:
            messages.error(
                request,
                _("No invoice numbered %(number)s: check the number.") % {"number": number},
            )
            return redirect("payments:statement", pk=line.statement_id)
    try:
        with transaction.atomic():
            payment = statements.confirm_line(line=line, actor=request.user, invoice=invoice)
    except services.PaymentRefused as refused:
        messages.error(request, str(refused))
    else:
        if payment is not None:
            messages.success(
                request,
                _("Payment recorded on invoice %(number)s.") % {"number": payment.invoice},
            )
    return redirect("payments:statement", pk=line.statement_id)
