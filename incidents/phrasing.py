"""Incidents in words, in the reader's language: rendered when shown, never stored."""

from django.apps import apps
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activity.messages import internal_why, named_service, upper_first
from activity.models import Cause
from commbilling import l10n

# The services automation depends on, as users know them.
SERVICE_LABELS = {
    "smtp": gettext_lazy("SMTP server"),
    "esp": gettext_lazy("E-mail service provider"),
    "provider": gettext_lazy("Payment provider"),
    "platform": gettext_lazy("E-invoicing platform"),
    "storage": gettext_lazy("File storage"),
    "broker": gettext_lazy("Message broker"),
    "database": gettext_lazy("Database"),
    "network": gettext_lazy("Network"),
    "worker": gettext_lazy("Worker"),
    "buyer": gettext_lazy("Buyer"),
}


def service_label(service: str) -> str:
    return str(SERVICE_LABELS.get(service, service or _("a service")))


def process_label(process: str) -> str:
    from activity import processes

    return processes.label_of(process).capitalize()


def records_phrase(process: str, count: int) -> str:
    """'1 invoice', '12 invoices', in the reader's language."""
    from activity import processes

    try:
        meta = processes.get(process).model._meta
    except KeyError:
        return str(count)
    noun = meta.verbose_name if count == 1 else meta.verbose_name_plural
    return f"{count} {noun}"


def _model_label(model_name: str) -> str:
    for model in apps.get_models():
        if model._meta.model_name == model_name:
            return str(model._meta.verbose_name)
    return model_name


def fields_phrase(fields: list[dict[str, str]]) -> str:
    parts = []
    for field in fields:
        label = field.get("label") or field.get("field", "")
        model_name = field.get("model", "")
        if model_name:
            label = _("%(field)s (%(model)s)") % {
                "field": _(label),
                "model": _model_label(model_name),
            }
        parts.append(label)
    return ", ".join(parts)


def since(moment) -> str:
    """ "07:23" today, else the day and time, 24-hour in both languages (commbilling.l10n)."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return formats.time_format(local, "H:i")
    return l10n.format_datetime(local)


def headline(incident) -> str:
    details = incident.details or {}
    if not incident.process:
        return system_headline(incident)
    records = records_phrase(incident.process, max(incident.affected, 0))
    if incident.cause == Cause.CONNECTIVITY:
        return _("%(service)s unreachable since %(since)s — %(records)s waiting") % {
            "service": service_label(incident.service),
            "since": since(incident.opened_at),
            "records": records,
        }
    if incident.cause == Cause.MISSING_DATA:
        return _("%(records)s blocked — missing data: %(fields)s") % {
            "records": records,
            "fields": fields_phrase(details.get("fields", [])),
        }
    if incident.cause == Cause.WRONG_SETTINGS:
        return _("%(records)s blocked — wrong settings: %(fields)s") % {
            "records": records,
            "fields": fields_phrase(details.get("fields", [])),
        }
    if incident.cause == Cause.REFUSED:
        # The service with its article ("the payment provider"): French turns the sentence
        # round ("Le prestataire de paiement a refusé 3 remboursements").
        return upper_first(
            _("%(records)s refused by %(service)s")
            % {"records": records, "service": named_service(incident.service)}
        )
    return _("%(records)s failed — %(reason)s") % {
        "records": records,
        "reason": internal_why(details),
    }


def system_headline(incident) -> str:
    details = incident.details or {}
    if incident.cause == "stalled":
        if details.get("kind") == "scheduler":
            return _("The scheduler has given no sign of life since %(since)s") % {
                "since": since(incident.opened_at)
            }
        return _("Worker %(name)s has given no sign of life since %(since)s") % {
            "name": details.get("name", ""),
            "since": since(incident.opened_at),
        }
    return str(details.get("message", incident.key))


def advice(incident) -> str:
    if not incident.process:
        return _(
            "Automated tasks wait meanwhile. Restart the stopped process (see the system "
            "status page); nothing is lost, the tasks resume."
        )
    if incident.cause == Cause.CONNECTIVITY:
        return _(
            "Nothing to do on the records: their tasks wait and resume by themselves once "
            "the service answers again. If it lasts, check the service."
        )
    if incident.cause == Cause.MISSING_DATA:
        return _("Complete the missing fields, then retry the blocked records.")
    if incident.cause == Cause.WRONG_SETTINGS:
        return _("Correct the settings, then retry the blocked records.")
    if incident.cause == Cause.REFUSED:
        return _("Read the remote party's answer on each record before sending it again.")
    return _("An administrator can read the error on each record; contact support if it lasts.")
