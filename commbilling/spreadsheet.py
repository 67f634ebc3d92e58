"""CSV files a spreadsheet of the reader's language opens as a table of numbers and dates.

French Excel expects ";" between cells (the comma is the decimal mark), a UTF-8 byte order
mark to read accents, "2269,20" for a number and "27/11/2026" for a date; English Excel a
comma, "2269.20" and the same day-first dates. Cells are written by type in the active
language (commbilling.l10n), so a view only gives rows of Python values.
"""

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone

from commbilling import l10n

BOM = "\ufeff"


class _Echo:
    def write(self, value: str) -> str:
        return value


# What makes a spreadsheet read a cell as a formula (CSV injection): a customer named
# "=HYPERLINK(…)", or a server's reply quoted in the Activity Log, would run when the
# export is opened.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(text: str) -> str:
    """Text a spreadsheet shows as written and never runs: an apostrophe before what would
    start a formula, which Excel and LibreOffice take as "this cell is text"."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: object) -> object:
    """One value as its cell: numbers with the language's decimal mark, local dates, text
    that cannot run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal | float):
        return l10n.format_csv_number(value, None if isinstance(value, float) else 2)
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.strftime("%d/%m/%Y %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str):
        return as_text(value)
    return str(value)


def delimiter() -> str:
    return ";" if l10n.label_colon() != ":" else ","


def csv_response(
    filename: str, header: list[str], rows: Iterable[Iterable[object]]
) -> StreamingHttpResponse:
    """A streamed CSV download; ``rows`` may be a lazy iterator over millions of rows."""
    writer = csv.writer(_Echo(), delimiter=delimiter())

    def lines() -> Iterator[str]:
        yield BOM + writer.writerow(header)
        for row in rows:
            yield writer.writerow([cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
