from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import accountant_required
from accounts.models import Role
from commbilling.http import OrganisationHttpRequest

from . import services, status, versions
from .bar import SESSION_KEY, bar_context
from .models import Incident


def _get_incident_for_user(request: OrganisationHttpRequest, pk: int) -> Incident:
    return get_object_or_404(Incident.objects.visible_to(request.organisation.pk), pk=pk)


@require_GET
@never_cache
def bar(request: HttpRequest) -> HttpResponse:
    """The bar's poll. Unchanged since the page's version: 204 from the session and the
    cache alone (no user, permission or role query). Changed: the whole bar, after the
    usual checks."""
    organisation_id = request.session.get(SESSION_KEY)
    seen = request.GET.get("v", "")
    if organisation_id is not None and seen and seen == versions.current(organisation_id):
        return HttpResponse(status=204)
    return _full_bar(request)


@accountant_required
def _full_bar(request: OrganisationHttpRequest) -> TemplateResponse:
    if request.session.get(SESSION_KEY) != request.organisation.pk:
        request.session[SESSION_KEY] = request.organisation.pk
    return _bar_response(request)


def _bar_response(request: OrganisationHttpRequest) -> TemplateResponse:
    return TemplateResponse(
        request, "incidents/_bar.html", {"alert_bar": bar_context(request.organisation.pk)}
    )


@require_GET
@accountant_required
def incident_list(request: OrganisationHttpRequest) -> TemplateResponse:
    open_incidents = services.open_incidents_for(request.organisation)
    resolved = (
        Incident.objects.visible_to(request.organisation.pk)
        .filter(resolved_at__isnull=False)
        .order_by("-resolved_at")[:50]
    )
    return TemplateResponse(
        request,
        "incidents/list.html",
        {"open_incidents": open_incidents, "resolved": resolved},
    )


def _after_change(request: OrganisationHttpRequest) -> HttpResponse:
    if request.htmx:
        return _bar_response(request)
    next_url = request.POST.get("next", "")
    # A path of this site only: redirect() would take "foo" for a view name (500).
    local = next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    )
    return HttpResponseRedirect(next_url if local else reverse("incidents:list"))


def _check_may_change(request: OrganisationHttpRequest, incident: Incident) -> None:
    # A platform incident (a worker, the scheduler) is the administrators' to close.
    if incident.organisation_id is None and request.user.role != Role.ADMIN:
        raise PermissionDenied


@require_POST
@accountant_required
def acknowledge(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    _check_may_change(request, incident)
    services.acknowledge_incident(incident=incident, user=request.user)
    return _after_change(request)


@require_POST
@accountant_required
def resolve(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    incident = _get_incident_for_user(request, pk)
    _check_may_change(request, incident)
    services.resolve_incident(incident=incident, user=request.user)
    return _after_change(request)


@require_GET
@accountant_required
def system_status(request: OrganisationHttpRequest) -> TemplateResponse:
    return TemplateResponse(
        request, "incidents/status.html", {"status": status.system_status(request.organisation)}
    )
