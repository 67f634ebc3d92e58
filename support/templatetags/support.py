from datetime import timedelta
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from activity.models import ActivityLog, Alert, TrackedRecord

register = template.Library()


@register.filter
def help_url(target) -> str:
    """The new-ticket form pre-filled from a failed record, an alert or a log entry."""
    if isinstance(target, ActivityLog):
        params = {"process": target.process, "record": target.object_id, "log": target.pk}
    elif isinstance(target, Alert):
        params = {"process": target.process, "record": target.object_id, "log": target.activity_id}
    elif isinstance(target, TrackedRecord):
        params = {"process": target.process.name, "record": target.pk}
    else:
        return reverse("support:new")
    return f"{reverse('support:new')}?{urlencode(params)}"


@register.filter
def business_duration(value: timedelta | None) -> str:
    """5 h 30 min; negative durations read as overdue."""
    if value is None:
        return ""
    seconds = int(abs(value.total_seconds()))
    hours, minutes = seconds // 3600, (seconds % 3600) // 60
    text = f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
    if value < timedelta(0):
        return _("overdue by %(time)s") % {"time": text}
    return text
