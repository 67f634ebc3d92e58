import re
import uuid

from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import accountant_required
from activity import processes
from activity.models import Cause
from commbilling.http import OrganisationHttpRequest
from commbilling.pagination import parse_id
from invoices.models import Invoice

from . import services
from .actions import failed_records
from .models import Batch

TOKEN = re.compile(r"[\w-]{1,64}", re.ASCII)  # uuid4().hex, as the pages give it


def _get_batch_for_user(request: OrganisationHttpRequest, pk: int) -> Batch:
    return get_object_or_404(
        Batch.objects.for_organisation(request.organisation).select_related("created_by"), pk=pk
    )


def start(request: OrganisationHttpRequest, action: str, params: dict) -> HttpResponse:
    """Start the batch and hand its first chunk over at once (a small batch is then
    entirely queued when its page opens); a worker does the rest."""
    batch = services.start_batch(
        organisation=request.organisation,
        action=action,
        params=params,
        actor=request.user,
        token=_token(request.POST.get("token", "")),
    )
    services.fill_batch(batch.pk, max_chunks=1)
    return redirect(batch)


def _token(posted: str) -> str:
    """The form's one-time token if it looks like one (a multipart form can carry a NUL,
    which PostgreSQL refuses: a 500), else a fresh one."""
    return posted if TOKEN.fullmatch(posted) else str(uuid.uuid4())


@require_GET
@accountant_required
def batch_detail(request: OrganisationHttpRequest, pk: int) -> TemplateResponse:
    return _detail_response(request, _get_batch_for_user(request, pk))


def _detail_response(request: OrganisationHttpRequest, batch: Batch) -> TemplateResponse:
    progress = services.progress(batch)
    failed, by_cause = services.failures(batch)
    causes = dict(Cause.choices)
    context = {
        "batch": batch,
        "progress": progress,
        "failed": failed,
        "by_cause": [(cause, causes.get(cause, cause), n) for cause, n in by_cause],
        "list_url": reverse(processes.get(batch.process).list_url_name),
    }
    template = "batches/detail.html#progress" if request.htmx else "batches/detail.html"
    return TemplateResponse(request, template, context)


@require_POST
@accountant_required
def batch_cancel(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    batch = _get_batch_for_user(request, pk)
    services.cancel_batch(batch=batch)
    if request.htmx:
        batch.refresh_from_db()
        return _detail_response(request, batch)
    return redirect(batch)


@require_http_methods(["GET", "POST"])
@accountant_required
def generate_month(request: OrganisationHttpRequest) -> HttpResponse:
    """Preview (how many drafts), then the batch that issues them all."""
    if request.method == "POST":
        return start(request, "generate_month", {})
    drafts = Invoice.objects.for_organisation(request.organisation).filter(
        status=Invoice.Status.DRAFT
    )
    return TemplateResponse(
        request,
        "batches/generate_month.html",
        {"count": drafts.count(), "token": uuid.uuid4().hex},
    )


@require_POST
@accountant_required
def send_invoices(request: OrganisationHttpRequest) -> HttpResponse:
    """Bulk Send from the invoice list: a batch run, followed on its own page."""
    ids = [i for i in map(parse_id, request.POST.getlist("ids")) if i is not None][:500]
    return start(request, "send_invoices", {"ids": ids})


def _retry_params(data) -> dict:
    params = {"process": data.get("process", "")}
    if data.get("cause") in Cause.values:
        params["cause"] = data["cause"]
    if data.get("field"):
        params["field"] = data["field"][:64]
    return params


@require_http_methods(["GET", "POST"])
@accountant_required
def bulk_retry(request: OrganisationHttpRequest) -> HttpResponse:
    """Failed records by process and cause (and missing field): a preview saying how
    many would be sent again, then the batch that retries them, each once."""
    data = request.POST if request.method == "POST" else request.GET
    params = _retry_params(data)
    causes = dict(Cause.choices)
    if params["process"] and params["process"] not in {a.name for a in processes.all_processes()}:
        raise Http404
    if "cause" not in params:
        groups = _failure_groups(request, params["process"])
        return TemplateResponse(request, "batches/retry.html", {"groups": groups, "params": {}})
    automation = processes.get(params["process"])
    if request.method == "POST":
        return start(request, "retry", params)
    records = failed_records(request.organisation, params)
    fields: dict[str, dict] = {}
    field_label = ""
    if params["cause"] == Cause.MISSING_DATA:
        for details in records.values_list("last_error_details", flat=True)[:5000]:
            for problem in details.get("fields", []):
                entry = fields.setdefault(
                    problem.get("field", ""), {"label": problem.get("label", ""), "n": 0}
                )
                entry["n"] += 1
        field_label = fields.get(params.get("field", ""), {}).get("label", "")
    return TemplateResponse(
        request,
        "batches/retry.html",
        {
            "automation": automation,
            "records_label": automation.model._meta.verbose_name_plural,
            "params": params,
            "cause_label": causes.get(params["cause"], ""),
            "field_label": field_label,
            "count": records.count(),
            "fields": [] if "field" in params else sorted(fields.items(), key=_most),
            "token": uuid.uuid4().hex,
        },
    )


def _most(item: tuple[str, dict]) -> int:
    return -item[1]["n"]


def _failure_groups(request: OrganisationHttpRequest, process: str = "") -> list[dict]:
    """Retryable failed records per process and cause, most numerous first."""
    causes = dict(Cause.choices)
    groups = []
    for automation in processes.all_processes():
        if process and automation.name != process:
            continue
        model = automation.model
        for cause, n in (
            model.tracked()
            .for_organisation(request.organisation)
            .filter(status__in=model.RETRYABLE_STATUSES)
            .values_list("last_cause")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            groups.append(
                {
                    "process": automation.name,
                    "records_label": model._meta.verbose_name_plural,
                    "cause": cause,
                    "label": causes.get(cause, cause),
                    "n": n,
                }
            )
    return sorted(groups, key=lambda g: -g["n"])
