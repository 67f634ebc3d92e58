"""Keyset pagination: constant cost per page, whatever the table's size."""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property


@dataclass(frozen=True)
class KeysetPage:
    items: list
    next_cursor: int | None
    cursor: int | None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


# The largest id a bigint column holds: anything longer is not one of ours.
_MAX_ID_DIGITS = 18


def parse_id(value: str | None) -> int | None:
    """A row id typed by a client, or None when it is not one.

    ``str.isdigit()`` alone accepts "²" or Arabic-Indic digits, which ``int()`` then
    refuses or reads as another number; an id is ASCII digits of bigint size only.
    """
    if value and value.isascii() and value.isdigit() and len(value) <= _MAX_ID_DIGITS:
        return int(value)
    return None


def keyset_paginate(queryset: QuerySet, cursor: str | None, *, size: int = 50) -> KeysetPage:
    """Newest first by id; ``cursor`` is the last id of the previous page (ignored when it
    is not an id)."""
    current = parse_id(cursor)
    if current is not None:
        queryset = queryset.filter(id__lt=current)
    rows = list(queryset.order_by("-id")[: size + 1])
    next_cursor = rows[size - 1].id if len(rows) > size else None
    return KeysetPage(items=rows[:size], next_cursor=next_cursor, cursor=current)


class CappedPaginator(Paginator):
    """Page numbers for sortable lists, with a count that stops at ``cap`` rows.

    ``COUNT(*)`` over a whole large table costs more than the page itself; counting a
    ``LIMIT cap`` subquery is bounded. Pages past the cap are not offered (deep OFFSETs
    are slow anyway): the user narrows the search instead.
    """

    def __init__(
        self, object_list: QuerySet, per_page: int, *, cap: int = 10_000, **kwargs
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.queryset = object_list
        self.cap = cap

    @cached_property
    def count(self) -> int:
        return self.queryset[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        return super().num_pages if not self.capped else -(-self.cap // self.per_page)
