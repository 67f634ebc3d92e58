"""Keyset pagination: constant cost per page, whatever the table's size."""

from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class KeysetPage:
    items: list
    next_cursor: int | None
    cursor: int | None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def keyset_paginate(queryset: QuerySet, cursor: str | None, *, size: int = 50) -> KeysetPage:
    """Newest first by id; ``cursor`` is the last id of the previous page."""
    current = int(cursor) if cursor and cursor.isdigit() else None
    if current is not None:
        queryset = queryset.filter(id__lt=current)
    rows = list(queryset.order_by("-id")[: size + 1])
    next_cursor = rows[size - 1].id if len(rows) > size else None
    return KeysetPage(items=rows[:size], next_cursor=next_cursor, cursor=current)
