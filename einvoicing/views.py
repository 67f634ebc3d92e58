import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import accountant_required
from accounts.models import Organisation
from commbilling.http import OrganisationHttpRequest
from invoices.models import Invoice

from . import facturx, services, webhooks
from .forms import PlatformSettingsForm
from .models import EInvoice, FlowStatus, PlatformSettings


def _get_invoice_for_user(request: OrganisationHttpRequest, pk: int) -> Invoice:
    return get_object_or_404(Invoice.objects.for_organisation(request.organisation), pk=pk)


@require_GET
@accountant_required
def invoice_xml(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    """The factur-x.xml embedded in the invoice's PDF, alone."""
    invoice = _get_invoice_for_user(request, pk)
    if not invoice.pdf:
        raise Http404(_("This invoice has no PDF yet."))
    with invoice.pdf.open("rb") as stored:
        xml = facturx.extract_xml(stored.read())
    response = HttpResponse(xml, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}-factur-x.xml"'
    return response


STATUS_TO_FILTER: dict[str, str] = {
    EInvoice.Status.QUEUED: "pending",
    EInvoice.Status.TRANSMITTING: "pending",
    EInvoice.Status.DEPOSITED: "deposited",
    EInvoice.Status.REFUSED: "refused",
    EInvoice.Status.FAILED: "failed",
    EInvoice.Status.UNKNOWN: "unknown",
}


@require_GET
@accountant_required
def einvoice_list(request: OrganisationHttpRequest) -> HttpResponse:
    """Transmissions are listed in the Factures tab, filtered by e-invoicing status (the
    navigation's tab: every transmitted invoice; a dashboard counter: its status)."""
    key = STATUS_TO_FILTER.get(request.GET.get("status", ""), "transmitted")
    return redirect(f"{reverse('invoices:list')}?einvoice={key}")


@require_GET
@accountant_required
def invoice_panel(request: OrganisationHttpRequest, pk: int) -> TemplateResponse:
    """The invoice page's e-invoicing card, polled while work is under way."""
    from .templatetags.einvoicing import panel_context

    invoice = _get_invoice_for_user(request, pk)
    return TemplateResponse(request, "einvoicing/_panel.html", panel_context(invoice))


@require_GET
@accountant_required
def credit_note_panel(request: OrganisationHttpRequest, pk: int) -> TemplateResponse:
    """A credit note's e-invoicing, polled while its transmission is under way."""
    from refunds.models import CreditNote

    from .templatetags.einvoicing import credit_note_panel_context

    note = get_object_or_404(CreditNote.objects.for_organisation(request.organisation), pk=pk)
    return TemplateResponse(
        request, "einvoicing/_credit_note_panel.html", credit_note_panel_context(note)
    )


@require_POST
@accountant_required
def check_with_platform(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    """À vérifier: ask the platform now instead of waiting for the periodic check."""
    einvoice = get_object_or_404(EInvoice.objects.for_organisation(request.organisation), pk=pk)
    status = services.reconcile_einvoice(einvoice=einvoice, actor=request.user)
    if status == EInvoice.Status.UNKNOWN:
        messages.warning(request, _("The platform could not be asked; try again later."))
    else:
        messages.success(request, _("Checked with the platform."))
    return redirect(einvoice.get_absolute_url())


@require_http_methods(["GET", "POST"])
@accountant_required
def platform_settings(request: OrganisationHttpRequest) -> HttpResponse:
    user = request.user
    can_edit = user.has_perm("accounts.edit_company_settings")
    platform = PlatformSettings.for_organisation(request.organisation)
    form = PlatformSettingsForm(request.POST or None, instance=platform)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            form.save()
            messages.success(request, _("Settings saved."))
            return redirect("einvoicing:settings")
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    webhook_url = request.build_absolute_uri(
        reverse("einvoicing:webhook", args=[request.organisation.slug])
    )
    return TemplateResponse(
        request,
        "einvoicing/settings.html",
        {"form": form, "can_edit": can_edit, "webhook_url": webhook_url},
    )


@csrf_exempt  # authenticated by the HMAC signature instead
@require_POST
def webhook(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = get_object_or_404(Organisation, slug=slug)
    platform = PlatformSettings.objects.filter(organisation=organisation).first()
    if platform is None or not platform.webhook_secret:
        raise Http404
    try:
        webhooks.verify(
            secret=platform.webhook_secret,
            timestamp=request.headers.get("X-Platform-Timestamp", ""),
            signature=request.headers.get("X-Platform-Signature", ""),
            body=request.body,
        )
        flow, _event = webhooks.parse(request.body)
    except webhooks.BadNotification as exc:
        return JsonResponse({"error": str(exc)}, status=401)
    einvoice = (
        EInvoice.objects.for_organisation(organisation).filter(tracking_id=flow.tracking_id).first()
    )
    if einvoice is None:
        return JsonResponse({"error": "unknown flow"}, status=404)
    added = services.apply_flow(einvoice=einvoice, flow=flow, source=FlowStatus.Source.WEBHOOK)
    return HttpResponse(
        json.dumps({"stored": len(added)}), status=200, content_type="application/json"
    )
