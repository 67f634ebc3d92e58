from django.db.models import Count
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.decorators import accountant_required
from activity import processes
from activity.labels import with_current_labels
from activity.models import Alert

from .http import OrganisationHttpRequest


@require_GET
@accountant_required
def dashboard(request: OrganisationHttpRequest) -> TemplateResponse:
    sections = []
    for process in processes.all_processes():
        model = process.model
        counts = dict(
            model.tracked()
            .for_organisation(request.organisation)
            .order_by()
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        status_field = model._meta.get_field("status")
        sections.append(
            {
                "title": model._meta.verbose_name_plural,
                "url": reverse(process.list_url_name),
                "counts": [
                    (value, label, counts.get(value, 0))
                    for value, label in status_field.choices or ()
                ],
            }
        )
    alerts = with_current_labels(
        list(
            Alert.objects.for_organisation(request.organisation)
            .open()
            .select_related("activity")
            .order_by("-created_at")[:20]
        )
    )
    return TemplateResponse(request, "dashboard.html", {"sections": sections, "alerts": alerts})


@require_GET
def health(request) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
