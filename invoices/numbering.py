"""Gapless numbering of issued documents (invoices, credit notes): one series per
organisation, kind and year."""

from collections.abc import Mapping
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F

from accounts.models import Organisation
from commbilling.fields import model_field

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


def number_in_one_statement(
    document: models.Model,
    *,
    kind: str,
    prefix: str,
    year: int,
    fields: Mapping[str, Any],
) -> str | None:
    """PostgreSQL: number an unnumbered document and store ``fields`` with its number, in
    one statement (a single round trip, atomic by itself). Returns the number, or None
    when the document already has one or its series has no row yet for ``year``: nothing
    was written then, and the caller takes the general path (``take_next_number``).

    The statement locks the document row first (``FOR UPDATE`` re-checks that it is still
    unnumbered once a concurrent numbering commits), then the series row (the same order
    as the general path), and increments the series only when it numbers the document: a
    number is never taken for nothing."""
    assert connection.vendor == "postgresql", "data-modifying WITH queries are PostgreSQL's"
    model = type(document)
    meta = model._meta
    quote = connection.ops.quote_name
    table, series = quote(meta.db_table), quote(NumberSequence._meta.db_table)
    columns = [model_field(model, name) for name in fields]
    assignments = "".join(f", {quote(field.column or field.attname)} = %s" for field in columns)
    values = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(columns, fields.values(), strict=True)
    ]
    # lpad to at least six digits, as format_number does (a millionth number has seven).
    sql = f"""
        WITH document AS (
            SELECT id FROM {table} WHERE id = %s AND number IS NULL FOR UPDATE
        ), taken AS (
            UPDATE {series} SET last_value = last_value + 1
            WHERE organisation_id = %s AND kind = %s AND year = %s
              AND EXISTS (SELECT 1 FROM document)
            RETURNING last_value::text AS digits
        )
        UPDATE {table}
        SET number = %s || lpad(taken.digits, greatest(6, length(taken.digits)), '0'){assignments}
        FROM taken
        WHERE {table}.id = %s AND {table}.number IS NULL
        RETURNING {table}.number
    """  # noqa: S608 (identifiers are our own tables and columns, quoted; values are params)
    params = [
        document.pk,
        document.organisation_id,  # type: ignore[attr-defined]
        kind,
        year,
        f"{prefix}-{year}-",
        *values,
        document.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None
