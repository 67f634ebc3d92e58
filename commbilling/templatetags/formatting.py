"""Template filters for numbers, amounts, percentages and dates in the reader's language.

Built in (settings.TEMPLATES "builtins"): every template, page, PDF or e-mail, can use them
without ``{% load %}``. They wrap commbilling.l10n, which Python code calls directly.

    {{ invoice.total_incl_vat|money }}        2 269,20 €     €2,269.20
    {{ invoice.total_incl_vat|money:"USD" }}  2 269,20 $     $2,269.20
    {{ line.quantity|number }}                1 200,5        1,200.5
    {{ value|number:2 }}                      1 200,50       1,200.50
    {{ line.vat_rate|percent }}               5,5 %          5.5%
    {{ invoice.issue_date|local_date }}       27/11/2026     27 Nov 2026
    {{ entry.created_at|local_datetime }}      27/11/2026 20:16   27 Nov 2026 20:16
"""

from django import template

from commbilling import l10n

register = template.Library()


@register.filter
def money(value, currency: str = "EUR") -> str:
    return l10n.format_amount(value, currency or "EUR")


@register.filter
def number(value, places: int | str | None = None) -> str:
    return l10n.format_number(value, None if places in (None, "") else int(places))


@register.filter
def percent(value) -> str:
    return l10n.format_percent(value)


@register.filter
def local_date(value) -> str:
    return l10n.format_date(value)


@register.filter
def local_datetime(value) -> str:
    return l10n.format_datetime(value)
