"""What every ModelAdmin of ours shares: numbers in the admin's language.

Django's admin prints a DecimalField as "1658,00" in French (no thousands separator, no
currency). ``LocalizedNumbersAdmin`` shows each decimal column of ``list_display`` the way
the rest of the product does: amounts "1 658,00 €", rates "5,5 %", quantities "1 200,5";
sorting by the column still sorts by the field.
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


class LocalizedNumbersAdmin(admin.ModelAdmin):
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
