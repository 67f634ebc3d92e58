from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import accountant_required
from activity.models import ActivityLog
from commbilling.http import OrganisationHttpRequest
from commbilling.pagination import keyset_paginate
from invoices.models import Invoice

from . import services
from .forms import EmailFilterForm
from .models import EmailMessage

# The HTML body is shown in a sandboxed frame: no scripts, no forms, no remote loads.
HTML_BODY_CSP = (
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"
)


# The journal's columns only: the bodies stay on disk when listing 500,000 messages.
LIST_FIELDS = [
    "id",
    "organisation_id",
    "status",
    "kind",
    "recipient",
    "subject",
    "created_at",
    "sent_at",
    "attempts",
    "last_cause",
    "next_retry_at",
    "invoice__number",
]


def _get_message_for_user(request: OrganisationHttpRequest, pk: int) -> EmailMessage:
    return get_object_or_404(
        EmailMessage.objects.for_organisation(request.organisation)
        .visible_to(request.user)
        .select_related("invoice", "customer"),
        pk=pk,
    )


def _get_invoice_for_user(request: OrganisationHttpRequest, pk: int) -> Invoice:
    return get_object_or_404(
        Invoice.objects.for_organisation(request.organisation).select_related("customer"), pk=pk
    )


@require_GET
@accountant_required
def email_list(request: OrganisationHttpRequest) -> TemplateResponse:
    form = EmailFilterForm(request.GET or None)
    emails = form.filter(
        EmailMessage.objects.for_organisation(request.organisation)
        .visible_to(request.user)
        .select_related("invoice")
        .only(*LIST_FIELDS)
    )
    page = keyset_paginate(emails, request.GET.get("cursor"), size=50)
    query = request.GET.copy()
    query.pop("cursor", None)
    template = "emails/list.html#results" if request.htmx else "emails/list.html"
    return TemplateResponse(
        request, template, {"form": form, "page": page, "query": query.urlencode()}
    )


@require_GET
@accountant_required
def email_detail(request: OrganisationHttpRequest, pk: int) -> TemplateResponse:
    message = _get_message_for_user(request, pk)
    return TemplateResponse(
        request,
        "emails/detail.html",
        {
            "message": message,
            "record": message,
            "attempts": message.tries.all(),
            "history": ActivityLog.objects.for_record(message).select_related("actor")[:50],
        },
    )


@require_GET
@accountant_required
def email_html(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    """The HTML body as sent, for the sandboxed frame of the detail page."""
    message = _get_message_for_user(request, pk)
    response = HttpResponse(message.body_html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = HTML_BODY_CSP
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@require_POST
@accountant_required
def send_invoice(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    invoice = _get_invoice_for_user(request, pk)
    message = services.queue_invoice_email(invoice=invoice, actor=request.user)
    if message is None:
        notice = _("This invoice has no PDF yet: generate it first.")
    else:
        notice = _("E-mail queued to %(to)s.") % {"to": message.recipient or "?"}
    if request.htmx:
        return TemplateResponse(
            request,
            "emails/_send_invoice.html",
            {"invoice": invoice, "notice": notice, "sent_message": message},
        )
    (messages.success if message else messages.error)(request, notice)
    return redirect(invoice)
