from collections import Counter as Tally
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.decorators import accountant_required
from accounts.landing import landing_url
from activity import processes
from activity.models import Cause
from batches.models import Batch
from commbilling.http import AuthenticatedHttpRequest, OrganisationHttpRequest
from payments import services as payments

from . import counters
from .chart import failure_chart
from .kpis import KPIS

# Failed records read to find who blocks them: enough for any real backlog, bounded.
BLOCKING_SCAN_LIMIT = 2000


def missing_data_failures(model, organisation):
    """The error details of ``model``'s records failed for missing data: read through a
    partial index of each tracked model (``<model>_org_missing_data``), so the dashboard
    does not scan the organisation's other failures (25,000 bounced e-mails cost 14 ms)."""
    return (
        model.tracked()
        .for_organisation(organisation)
        .filter(status__in=model.failed_statuses(), last_cause=Cause.MISSING_DATA)
        .values_list("last_error_details", flat=True)
    )


def _blocking(organisation, current: dict[tuple[str, str], int]) -> list[dict]:
    """Records (customers…) whose missing data blocks failed tasks, most blocking first.

    Reads only the failed records of processes that have some (the counters say which)."""
    blocked: Tally = Tally()
    holders: dict[tuple[str, int], dict] = {}
    for automation in processes.all_processes():
        model = automation.model
        if not any(current.get((automation.name, s)) for s in model.failed_statuses()):
            continue
        for details in missing_data_failures(model, organisation)[:BLOCKING_SCAN_LIMIT]:
            seen = set()
            for problem in details.get("fields", []):
                key = (problem.get("model", ""), problem.get("object_id"))
                if key[1] is None or key in seen:
                    continue
                seen.add(key)
                blocked[key] += 1
                holder = holders.setdefault(
                    key, {"label": problem.get("record", ""), "url": "", "fields": set()}
                )
                holder["url"] = holder["url"] or problem.get("fix_url", "")
                holder["fields"].add(problem.get("label", problem.get("field", "")))
    return [
        {**holders[key], "blocks": n, "fields": sorted(holders[key]["fields"])}
        for key, n in blocked.most_common(10)
    ]


def _context(request: OrganisationHttpRequest) -> dict:
    organisation = request.organisation
    today = timezone.localdate()
    month_start = today.replace(day=1)
    chart_start = today - timedelta(days=29)
    current = counters.status_counts(organisation.pk)
    days = counters.daily(organisation.pk, min(month_start, chart_start))

    sections, to_handle = [], []
    for automation in processes.all_processes():
        model = automation.model
        url = reverse(automation.list_url_name)
        choices = list(model._meta.get_field("status").choices or ())
        labels = dict(choices)
        sections.append(
            {
                "title": model._meta.verbose_name_plural,
                "url": url,
                "counts": [
                    (value, label, current.get((automation.name, value), 0))
                    for value, label in choices
                ],
            }
        )
        for status in model.failed_statuses():
            n = current.get((automation.name, status), 0)
            if n:
                to_handle.append(
                    {
                        "title": model._meta.verbose_name_plural,
                        "status_label": labels[status],
                        "n": n,
                        "url": f"{url}?status={status}",
                        "retry_url": f"{reverse('batches:retry')}?process={automation.name}",
                    }
                )

    collected = payments.collected(organisation=organisation, today=today, since=month_start)
    kpis = []
    for kpi in KPIS:
        today_n = month_n = 0
        today_amount = month_amount = Decimal(0)
        for day, process, status, _cause, n, amount in days:
            if process != kpi.process or status != kpi.status or day < month_start:
                continue
            month_n += n
            month_amount += amount
            if day == today:
                today_n += n
                today_amount += amount
        if kpi.amount_from_payments:
            today_amount, month_amount = collected
        kpis.append(
            {"kpi": kpi, "today": today_n, "month": month_n}
            | (
                {"today_amount": today_amount, "month_amount": month_amount}
                if kpi.amount_field or kpi.amount_from_payments
                else {}
            )
        )

    failures: Tally = Tally()
    for day, _process, _status, cause, n, _amount in days:
        if cause and day >= chart_start:
            failures[(day, cause)] += n
    return {
        "sections": sections,
        "to_handle": to_handle,
        "blocking": _blocking(organisation, current),
        "kpis": kpis,
        "today": today,
        "month_start": month_start,
        "chart": failure_chart(dict(failures), today=today),
        "batches": Batch.objects.for_organisation(organisation)[:5],
    }


@require_GET
@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The home page: accountants' dashboard; every other role is sent to its own page."""
    user = request.user
    if not (user.has_perm("accounts.use_billing") and user.organisation_id):
        return redirect(landing_url(user))
    return _dashboard(request)


@accountant_required
def _dashboard(request: OrganisationHttpRequest) -> TemplateResponse:
    template = "dashboard.html#live" if request.htmx else "dashboard.html"
    return TemplateResponse(request, template, _context(request))
