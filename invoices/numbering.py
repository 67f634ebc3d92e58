"""Gapless numbering of issued documents (invoices, credit notes): one series per
organisation, kind and year."""

from django.db import transaction

from accounts.models import Organisation

from .models import NumberSequence


def format_number(prefix: str, year: int, value: int) -> str:
    return f"{prefix}-{year}-{value:06d}"


def take_next_number(*, organisation: Organisation, kind: str, prefix: str, year: int) -> str:
    """Take the next number of a series. Call inside the transaction that stores it."""
    assert transaction.get_connection().in_atomic_block, "numbers are taken inside a transaction"
    series = NumberSequence.objects.select_for_update().filter(
        organisation=organisation, kind=kind, year=year
    )
    sequence = series.first()
    if sequence is None:  # the series' first number this year
        NumberSequence.objects.get_or_create(organisation=organisation, kind=kind, year=year)
        sequence = series.get()
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return format_number(prefix, year, sequence.last_value)
