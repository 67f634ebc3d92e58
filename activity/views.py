from collections.abc import Callable

from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts.decorators import accountant_required
from commbilling.http import OrganisationHttpRequest
from commbilling.pagination import keyset_paginate

from . import exports, processes, services
from .forms import ActivityFilterForm
from .labels import with_current_labels
from .models import ActivityLog, Alert, TrackedRecord


def _get_alert_for_user(request: OrganisationHttpRequest, pk: int) -> Alert:
    return get_object_or_404(Alert.objects.for_organisation(request.organisation), pk=pk)


def _get_record_for_user(request: OrganisationHttpRequest, process: str, pk: int) -> TrackedRecord:
    try:
        model = processes.get(process).model
    except KeyError as exc:
        raise Http404 from exc
    return get_object_or_404(model.tracked().for_organisation(request.organisation), pk=pk)


@require_GET
@accountant_required
def log_list(request: OrganisationHttpRequest) -> TemplateResponse:
    form = ActivityFilterForm(request.GET or None, organisation=request.organisation)
    entries = form.filter(
        ActivityLog.objects.for_organisation(request.organisation).select_related("actor")
    )
    page = keyset_paginate(entries, request.GET.get("cursor"), size=50)
    with_current_labels(page.items)
    query = request.GET.copy()
    query.pop("cursor", None)
    template = "activity/log.html#results" if request.htmx else "activity/log.html"
    return TemplateResponse(
        request, template, {"form": form, "page": page, "query": query.urlencode()}
    )


EXPORTS: dict[str, Callable[[QuerySet[ActivityLog]], HttpResponseBase]] = {
    "csv": exports.raw_csv,
    "excel": exports.spreadsheet_csv,
    "xlsx": exports.xlsx,
}


@require_GET
@accountant_required
def log_export(request: OrganisationHttpRequest, kind: str = "csv") -> HttpResponseBase:
    """The entries the list's filters select (the same query string), in ``kind``."""
    form = ActivityFilterForm(request.GET or None, organisation=request.organisation)
    entries = form.filter(ActivityLog.objects.for_organisation(request.organisation))
    return EXPORTS[kind](entries.order_by("-id"))


def _alerts_response(request: OrganisationHttpRequest) -> TemplateResponse:
    open_alerts = with_current_labels(
        list(
            Alert.objects.for_organisation(request.organisation)
            .unacknowledged()
            .select_related("activity")
            .order_by("-created_at")[:5]
        )
    )
    return TemplateResponse(request, "activity/_alerts.html", {"alerts": open_alerts})


@require_GET
@accountant_required
def alerts(request: OrganisationHttpRequest) -> TemplateResponse:
    """The alert slot of every page, polled by htmx."""
    return _alerts_response(request)


@require_POST
@accountant_required
def acknowledge(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    alert = _get_alert_for_user(request, pk)
    services.acknowledge_alert(alert=alert, user=request.user)
    if request.htmx:
        return _alerts_response(request)
    next_url = request.POST.get("next", "")
    # A path of this site only: redirect() would take "foo" for a view name (500).
    local = next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    )
    return HttpResponseRedirect(next_url if local else reverse("dashboard"))


def _status_response(
    request: OrganisationHttpRequest, record: TrackedRecord, *, notice: str = ""
) -> TemplateResponse:
    return TemplateResponse(
        request,
        "activity/_automation_status.html",
        {"record": record, "notice": notice},
    )


@require_GET
@accountant_required
def record_status(request: OrganisationHttpRequest, process: str, pk: int) -> HttpResponse:
    """The status fragment, polled while the record is queued or running. When the record
    has come out of it since the page was drawn (``shown``), the page is told to redraw
    its whole record section (title, number, buttons, history, fix form, messages)."""
    record = _get_record_for_user(request, process, pk)
    response = _status_response(request, record)
    shown = request.GET.get("shown")
    in_progress = (record.STATUS_QUEUED, record.STATUS_RUNNING)
    if shown and shown != record.status and record.status not in in_progress:
        trigger_client_event(response, "record-changed")
    return response


@require_POST
@accountant_required
def retry(request: OrganisationHttpRequest, process: str, pk: int) -> HttpResponse:
    record = _get_record_for_user(request, process, pk)
    queued = services.retry_record(record=record, actor=request.user)
    record.refresh_from_db()
    notice = "" if queued else _("This record is not failed any more: nothing was queued again.")
    if request.htmx:
        return _status_response(request, record, notice=notice)
    return redirect(record.get_absolute_url())
