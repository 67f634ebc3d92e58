from django.db.models import Count
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from accounts.decorators import accountant_required
from activity.models import Alert
from invoices.models import Invoice

from .http import OrganisationHttpRequest


@require_GET
@accountant_required
def dashboard(request: OrganisationHttpRequest) -> TemplateResponse:
    invoice_counts = dict(
        Invoice.objects.for_organisation(request.organisation)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    alerts = (
        Alert.objects.for_organisation(request.organisation)
        .open()
        .select_related("activity")
        .order_by("-created_at")[:20]
    )
    return TemplateResponse(
        request,
        "dashboard.html",
        {
            "invoice_counts": [
                (status, label, invoice_counts.get(status, 0))
                for status, label in Invoice.Status.choices
            ],
            "alerts": alerts,
        },
    )


@require_GET
def health(request) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
