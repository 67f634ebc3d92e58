from datetime import datetime, time
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation

from . import processes
from .labels import record_filter
from .models import ActivityLogQuerySet, Cause, Event, Level


def _process_choices() -> list[tuple[str, str]]:
    return [("", str(_("All"))), *processes.choices()]


class ActivityFilterForm(forms.Form):
    process = forms.ChoiceField(label=_("process"), required=False, choices=_process_choices)
    cause = forms.ChoiceField(
        label=_("cause"), required=False, choices=[("", _("All")), *Cause.choices]
    )
    level = forms.ChoiceField(
        label=_("level"), required=False, choices=[("", _("All")), *Level.choices]
    )
    event = forms.ChoiceField(
        label=_("event"), required=False, choices=[("", _("All")), *Event.choices]
    )
    date_from = forms.DateField(
        label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    record = forms.CharField(
        label=_("record"), required=False, max_length=120, help_text=_("Exact number or name")
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    def filter(self, queryset: ActivityLogQuerySet) -> ActivityLogQuerySet:
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        for name in ("process", "cause", "level", "event"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name]})
        tz = timezone.get_current_timezone()
        if data.get("date_from"):
            queryset = queryset.filter(
                created_at__gte=datetime.combine(data["date_from"], time.min, tzinfo=tz)
            )
        if data.get("date_to"):
            queryset = queryset.filter(
                created_at__lte=datetime.combine(data["date_to"], time.max, tzinfo=tz)
            )
        if data.get("record"):
            queryset = queryset.filter(record_filter(self.organisation, data["record"]))
        return queryset
