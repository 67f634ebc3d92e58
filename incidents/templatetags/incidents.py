from django import template
from django.urls import reverse

from ..phrasing import process_label as _process_label

register = template.Library()


@register.filter
def process_label(process: str) -> str:
    return _process_label(process)


@register.filter
def records_url(incident) -> str:
    """The tab listing the incident's records: failed ones, or waiting ones for a service
    that does not answer."""
    from activity import processes
    from activity.models import Cause

    try:
        found = processes.get(incident.process)
    except KeyError:
        return ""
    model = found.model
    status = model.STATUS_QUEUED if incident.cause == Cause.CONNECTIVITY else model.STATUS_FAILED
    return f"{reverse(found.list_url_name)}?status={status}"
