"""Gapless numbering of issued documents (invoices, credit notes): one series per
organisation, kind and year."""

from django.db import transaction
from django.db.models import F

from accounts.models import Organisation

from .models import NumberSequence


def format_number(prefix: str, year: int, value: int) -> str:
    return f"{prefix}-{year}-{value:06d}"


def take_next_number(*, organisation: Organisation, kind: str, prefix: str, year: int) -> str:
    """Take the next number of a series. Call inside the transaction that stores it."""
    assert transaction.get_connection().in_atomic_block, "numbers are taken inside a transaction"
    series = NumberSequence.objects.filter(organisation=organisation, kind=kind, year=year)
    value = _increment(series)
    if value is None:  # the series' first number this year
        NumberSequence.objects.get_or_create(organisation=organisation, kind=kind, year=year)
        value = _increment(series)
    assert value is not None
    return format_number(prefix, year, value)


def _increment(series) -> int | None:
    """last_value + 1, read back by the UPDATE itself (RETURNING, through the queryset's
    ``_update`` that Django's own save uses for returned columns): the row stays locked by
    this transaction until it commits, so no other caller can take the same number, and
    a rollback gives the number back."""
    field = NumberSequence._meta.get_field("last_value")
    written = series._update([(field, None, F("last_value") + 1)], returning_fields=[field])
    return written[0][0] if written else None
