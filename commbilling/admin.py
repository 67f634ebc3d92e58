"""What every ModelAdmin of ours shares: numbers in the admin's language.

Django's admin prints a DecimalField as "1658,00" in French (no thousands separator, no
currency). ``LocalizedNumbersAdmin`` (and ``LocalizedNumbersInline``) show each decimal
column of ``list_display`` and each decimal field shown read-only (a read-only field, or
every field of a record the admin may only view, such as an issued invoice) the way the
rest of the product does: amounts "1 658,00 €", rates "5,5 %", quantities "1 200,5";
sorting by a column still sorts by the field. Decimal inputs stay inputs.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest

from . import l10n


def _formatter(field: models.DecimalField) -> Callable[[Any], str]:
    if "rate" in field.name:
        return l10n.format_percent
    if field.decimal_places == 2:
        return l10n.format_amount
    return l10n.format_number


def localized_column(field: models.DecimalField) -> Callable[[Any], str]:
    """A list column showing ``field`` formatted for the reader, ordered by the field."""
    shown = _formatter(field)

    def column(obj: Any) -> str:
        return shown(getattr(obj, field.name))

    column.__name__ = field.name  # the column's CSS class, as for the field itself
    column.short_description = field.verbose_name  # type: ignore[attr-defined]  # admin's protocol
    column.admin_order_field = field.name  # type: ignore[attr-defined]  # admin's protocol
    return column


class _LocalizedReadonlyNumbers(admin.options.BaseModelAdmin):
    """Read-only decimal fields shown through ``localized_column``: the same callable
    replaces the field's name in ``readonly_fields`` and in the fieldsets."""

    def _shown(self, name: Any) -> Any:
        cache: dict[str, Any] = self.__dict__.setdefault("_localized_fields", {})
        if not isinstance(name, str):
            return name
        if name not in cache:
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                field = None
            cache[name] = (
                localized_column(field) if isinstance(field, models.DecimalField) else None
            )
        return cache[name] or name

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        names = list(super().get_readonly_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            # A record the admin may only view: its decimal fields are shown, not edited.
            names += [
                f.name
                for f in self.model._meta.concrete_fields
                if isinstance(f, models.DecimalField) and f.name not in names
            ]
        return [self._shown(name) for name in names]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        readonly = set(self.get_readonly_fields(request, obj))

        def shown(name: Any) -> Any:
            if isinstance(name, (list, tuple)):
                return type(name)(shown(n) for n in name)
            localized = self._shown(name)
            return localized if localized in readonly else name

        return [
            (title, {**options, "fields": [shown(f) for f in options["fields"]]})
            for title, options in super().get_fieldsets(request, obj)
        ]


class LocalizedNumbersInline(_LocalizedReadonlyNumbers, admin.TabularInline):
    pass


class LocalizedNumbersAdmin(_LocalizedReadonlyNumbers, admin.ModelAdmin):
    def get_list_display(self, request: HttpRequest) -> list[Any]:
        columns: list[Any] = []
        for name in super().get_list_display(request):
            try:
                field = self.model._meta.get_field(name) if isinstance(name, str) else None
            except FieldDoesNotExist:
                field = None
            columns.append(
                localized_column(field) if isinstance(field, models.DecimalField) else name
            )
        return columns
