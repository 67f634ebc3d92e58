"""Activity Log messages stored as a code and parameters, written in the reader's language.

Each app declares its messages once, in ``<app>/texts.py`` (found at start-up):

    REQUESTED = texts.define(
        "refunds.requested", _("Refund of %(amount)s requested"), amount=texts.MONEY
    )

and logs ``message=REQUESTED(amount=refund.amount)``. The entry keeps the code and the
parameters (JSON); the page, the CSV and the admin render them when they are read, with
amounts, dates and field names in the reader's language. An English rendering is stored
beside them for full-text search and for entries whose code a later version dropped.
Parameters are plain values; their kind says how to show them:

    MONEY      Decimal or str            "1 200,50 €" / "€1,200.50"
    DATETIME   ISO 8601                  "27/11/2026 20:16" in local time
    NUMBER     int, Decimal or str       "1 234,5" / "1,234.5"
    fields(m)  [names] of model m's fields: their verbose names, "rue et ville"
    TEXT       anything else, as it is (names, numbers)
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import translation
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules
from django.utils.text import get_text_list

from commbilling import l10n

TEXT = "text"
MONEY = "money"
DATETIME = "datetime"
NUMBER = "number"
FIELDS = "fields:"
# The status of the entry's record, shown with its model's label for it ("Generating").
STATUS = "status"


def fields(model_label: str) -> str:
    """The kind of a parameter listing field names of ``model_label`` ("invoices.Customer")."""
    return FIELDS + model_label


_REGISTRY: dict[str, Text] = {}


@dataclass(frozen=True)
class Message:
    """What a service logs: a code and JSON parameters; ``str()`` renders it now."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    model: Any = None  # the record's model, for STATUS parameters

    def __str__(self) -> str:
        return render(self.code, self.params, model=self.model)

    def english(self) -> str:
        with translation.override("en"):
            return render(self.code, self.params, model=self.model)


@dataclass(frozen=True)
class Text:
    code: str
    template: Promise | str
    kinds: dict[str, str]
    # Reads an entry written before messages had codes (English text only).
    legacy: re.Pattern[str] | None = None

    def __call__(self, *, model: Any = None, **params: Any) -> Message:
        unknown = set(params) - set(self.kinds) - _placeholders(str(self.template))
        if unknown:
            raise TypeError(f"{self.code}: unknown parameters {sorted(unknown)}")
        missing = _placeholders(str(self.template)) - set(params)
        if missing:
            raise TypeError(f"{self.code}: missing parameters {sorted(missing)}")
        return Message(self.code, {name: _to_json(value) for name, value in params.items()}, model)


def define(code: str, template: Promise | str, *, legacy: str = "", **kinds: str) -> Text:
    """Declare a message once; ``legacy`` is a regex with named groups for old English rows."""
    if code in _REGISTRY and _REGISTRY[code].template != template:
        raise ValueError(f"message code {code!r} is declared twice")
    text = Text(code, template, kinds, re.compile(legacy) if legacy else None)
    _REGISTRY[code] = text
    return text


_discovered = False


def autodiscover() -> None:
    """Import every app's ``texts`` module once, so that its codes can be rendered."""
    global _discovered  # once per process, on first use
    if not _discovered:
        _discovered = True
        autodiscover_modules("texts")


def _placeholders(template: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)", template))


def _to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_to_json(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _field_names(model_label: str, names: list[str]) -> str:
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        model = None
    labels = []
    for name in names:
        try:
            labels.append(str(model._meta.get_field(name).verbose_name) if model else name)
        except FieldDoesNotExist:
            labels.append(name)
    return str(get_text_list(labels, translation.gettext("and")))


def _status_label(model: Any, value: str) -> str:
    try:
        choices = dict(model._meta.get_field("status").flatchoices)
    except (AttributeError, FieldDoesNotExist):
        return value
    return str(choices.get(value, value))


def _show(kind: str, value: Any, model: Any = None) -> str:
    if value is None or value == "":
        return ""
    if kind == STATUS:
        return _status_label(model, str(value)).lower()
    if kind == MONEY:
        return l10n.format_amount(Decimal(str(value)))
    if kind == DATETIME:
        return l10n.format_datetime(dt.datetime.fromisoformat(value))
    if kind == NUMBER:
        return l10n.format_number(Decimal(str(value)))
    if kind.startswith(FIELDS):
        names = [n.strip() for n in value.split(",")] if isinstance(value, str) else value
        return _field_names(kind.removeprefix(FIELDS), list(names))
    return str(value)


def render(code: str, params: dict[str, Any], *, model: Any = None) -> str:
    """The message in the active language; "" for a code no app declares (any more).
    ``model`` is the entry's record's model, for STATUS parameters."""
    autodiscover()
    text = _REGISTRY.get(code)
    if text is None:
        return ""
    shown = {
        name: _show(text.kinds.get(name, TEXT), value, model) for name, value in params.items()
    }
    template = str(text.template)
    for name in _placeholders(template) - set(shown):
        shown[name] = ""
    return template % shown


def from_legacy(message: str) -> Message | None:
    """An English message written before codes existed, read back as a code and parameters."""
    autodiscover()
    for text in _REGISTRY.values():
        if text.legacy is not None and (match := text.legacy.fullmatch(message.strip())):
            return Message(text.code, {k: v for k, v in match.groupdict().items() if v})
    return None


def display(*, code: str, params: dict[str, Any], stored: str, model: Any = None) -> str:
    """What the reader sees for a log entry: its code rendered, else its stored text."""
    if code and (shown := render(code, params, model=model)):
        return shown
    if stored and (legacy := from_legacy(stored)) is not None:
        return str(legacy)
    return stored


# --- The core's own messages ----------------------------------------------------------------
# (gettext_lazy is imported here, at the end, so that the module's machinery reads first.)
from django.utils.translation import gettext_lazy as _  # noqa: E402

ALERT_ACKNOWLEDGED = define(
    "activity.alert_acknowledged",
    _("Alert acknowledged by %(actor)s"),
    legacy=r"Alert acknowledged by (?P<actor>\S+)",
)
RETRY_REQUESTED_BY = define(
    "activity.retry_requested_by",
    _("Retry requested by %(actor)s"),
    legacy=r"Retry requested by (?P<actor>\S+)",
)
RETRY_REQUESTED = define(
    "activity.retry_requested", _("Retry requested"), legacy=r"Retry requested"
)
SWEPT = define(
    "activity.swept",
    _("Sent again by the sweeper: it was %(status)s since %(since)s."),
    status=STATUS,
    since=DATETIME,
)
WAITING_FOR_SERVICE = define(
    "activity.waiting_for_service",
    _("Not retried meanwhile: the task resumes by itself once the service answers again."),
)
RETRY_SCHEDULED = define(
    "activity.retry_scheduled",
    _("Automatic retry %(attempt)s of %(max)s in %(seconds)s s."),
    seconds=NUMBER,
)
