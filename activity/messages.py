"""User-facing texts for failures: what failed, why, and what to do next.

Rendered at display time from the cause and the structured details, so the same log
entry reads in French for one user and in English for another.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from . import processes, reasons
from .choices import Cause

# Outside services that apps talk to, named in failures ("the e-invoicing platform"):
# registered by those apps when Django starts (lazy labels, rendered when read).
_service_labels: dict[str, object] = {}


def register_service_label(service: str, label: object) -> None:
    _service_labels[service] = label


# Internal failures with a name (a file the platform's schema refused, a worker that kept
# dying): the error's details carry a ``reason`` code, registered here with what to say
# (lazy, rendered when read; ``%(name)s`` placeholders take the details' values) and, when
# it is not "our team has the details", what to do.
_internal_reasons: dict[str, tuple[object, object | None]] = {}


def register_internal_reason(reason: str, text: object, todo: object | None = None) -> None:
    _internal_reasons[reason] = (text, todo)


register_internal_reason(
    reasons.WORKER_LOST,
    gettext_lazy(
        "the worker stopped during each of the last %(attempts)s attempts (stopped, out of "
        "memory or crashed), so it is no longer retried by itself"
    ),
    gettext_lazy("Click %(action)s to run it again; if it stops again, open a support ticket."),
)


# Refusals with a name (a card that expired): the error's details carry a ``refusal`` code,
# registered by the app that talks to the refusing party, with what it means and (when
# "correct the data" does not fit) what to do.
_refusals: dict[str, tuple[object, object | None]] = {}


def register_refusal(refusal: str, text: object, todo: object | None = None) -> None:
    _refusals[refusal] = (text, todo)


class _Details(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def internal_why(details: dict[str, Any]) -> str:
    """What went wrong inside, in the reader's language: the registered reason's text, else
    the error's type as recorded."""
    reason = str(details.get("reason", ""))
    if reason in _internal_reasons:
        return str(_internal_reasons[reason][0]) % _Details(details)
    if details.get("error"):
        return _("internal error (%(error)s)") % {"error": details["error"]}
    return _("internal error")


def _service_label(service: str) -> str:
    labels = {
        "database": _("the database"),
        "storage": _("the file storage"),
        "broker": _("the task broker"),
        "smtp": _("the mail server (SMTP)"),
        "provider": _("the payment provider"),
        "network": _("the network"),
        "worker": _("the worker"),
    }
    if service in _service_labels:
        return str(_service_labels[service])
    return labels.get(service, service)


def named_service(service: str) -> str:
    """The service as a sentence names it, with its article ("the payment provider")."""
    return _service_label(service)


def _reason(details: dict[str, Any]) -> str:
    """What happened to the connection, in words that are true ("host not found")."""
    return reasons.describe(
        str(details.get("reason", "")),
        host=str(details.get("host", "")),
        raw=str(details.get("error", "")),
    )


def upper_first(text: str) -> str:
    # str.capitalize() would lower-case the rest: "(SMTP)" must stay as written.
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Explanation:
    what: str
    why: str
    todo: str

    def __str__(self) -> str:
        return f"{self.what} {self.why} {self.todo}".strip()


def _fields(details: dict[str, Any], key: str) -> str:
    parts = []
    for problem in details.get(key, []):
        label = _(problem.get("label", problem.get("field", "")))
        # Words that agree with any field: "rue (à renseigner)", "code postal (à renseigner)".
        if problem.get("problem") == "invalid":
            suffix = pgettext("field problem", "invalid")
        else:
            suffix = pgettext("field problem", "missing")
        record = problem.get("record", "")
        parts.append(f"{record} — {label} ({suffix})" if record else f"{label} ({suffix})")
    return "; ".join(parts)


def _retry_label(process: str) -> str:
    try:
        return str(processes.get(process).retry_label)
    except KeyError:
        return _("Retry")


def explain(*, process: str, cause: str, details: dict[str, Any], record_label: str) -> Explanation:
    action = _retry_label(process)
    what = _("%(process)s failed for %(record)s.") % {
        "process": processes.label_of(process),
        "record": record_label,
    }
    if cause == Cause.MISSING_DATA:
        return Explanation(
            what,
            _("Missing or invalid data: %(fields)s.") % {"fields": _fields(details, "fields")},
            _("Complete these fields, then click %(action)s.") % {"action": action},
        )
    if cause == Cause.WRONG_SETTINGS:
        why = _("Wrong or missing settings: %(settings)s.") % {
            "settings": _fields(details, "settings")
        }
        if details.get("reason"):  # no server answered: what happened instead
            why += " " + upper_first(_reason(details)) + "."
        elif details.get("remote"):
            why += " " + _("The server answered: “%(remote)s”.") % {"remote": details["remote"]}
        return Explanation(
            what,
            why,
            _("Correct the settings (an administrator can), then click %(action)s.")
            % {"action": action},
        )
    service = upper_first(_service_label(str(details.get("service", ""))))
    if cause == Cause.CONNECTIVITY:
        if details.get("reason") == reasons.TEMPORARY_REFUSAL:  # it answered "not now"
            why = _("%(service)s answered with a temporary refusal: “%(error)s”.") % {
                "service": service,
                "error": details.get("error", ""),
            }
        else:
            why = _("%(service)s could not be reached: %(error)s.") % {
                "service": service,
                "error": _reason(details),
            }
        return Explanation(
            what,
            why,
            _(
                "It is retried automatically; if it keeps failing, check the service or "
                "contact support, then click %(action)s."
            )
            % {"action": action},
        )
    if cause == Cause.REFUSED:
        correct = _("Check the data the refusal names, correct it, then click %(action)s.")
        if str(details.get("refusal", "")) in _refusals:  # a refusal with a name
            meaning, todo = _refusals[str(details["refusal"])]
            why = _("%(service)s refused it: %(reason)s.") % {"service": service, "reason": meaning}
            correct = str(todo) if todo else correct
        else:
            why = _("%(service)s refused it: “%(remote)s”.") % {
                "service": service,
                "remote": details.get("remote", ""),
            }
        return Explanation(what, why, correct % {"action": action})
    reason = str(details.get("reason", ""))
    if reason in _internal_reasons:
        todo = _internal_reasons[reason][1]
        return Explanation(
            what,
            upper_first(internal_why(details)) + ".",
            str(todo) % {"action": action}
            if todo
            else _("Our team has the technical details; open a support ticket if it persists."),
        )
    if details.get("error"):
        why = _("An internal error occurred (%(error)s).") % {"error": details["error"]}
    else:
        why = _("An internal error occurred.")
    return Explanation(
        what,
        why,
        _("Our team has the technical details; open a support ticket if it persists."),
    )
