"""The Activity Log exported: raw CSV for tools, a CSV for the reader's spreadsheet, XLSX.

All three take the entries the list's filters select. The raw CSV keeps codes and UTC
ISO times (stable for scripts); the spreadsheet exports read like the page: local time,
labels, record names and messages in the reader's language (in French: semicolons and a
byte order mark, through commbilling.spreadsheet).
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator
from itertools import batched
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from commbilling.spreadsheet import csv_response

from .labels import with_current_labels
from .models import ActivityLog

# Excel's sheet holds 1,048,576 rows; larger exports are cut (the CSV has no limit).
XLSX_MAX_ROWS = 1_000_000
RAW_HEADER = [
    "time", "process", "event", "level", "record", "cause", "message",
    "attempt", "trigger", "actor", "task_id", "worker", "duration_ms",
]  # fmt: skip


class _Echo:
    def write(self, value: str) -> str:
        return value


def raw_csv(entries: QuerySet[ActivityLog]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(RAW_HEADER)
        for entry in entries.values_list(
            "created_at", "process", "event", "level", "record_label", "cause", "message",
            "attempt", "trigger", "actor__username", "task_id", "worker", "duration_ms",
        ).iterator(chunk_size=2000):  # fmt: skip
            yield writer.writerow([entry[0].isoformat(), *entry[1:]])

    return _stream(rows(), "journal-activite.csv", "text/csv; charset=utf-8")


def _header() -> list[str]:
    return [
        _("Time"), _("Process"), _("Event"), _("Level"), _("Record"), _("Cause"),
        _("Message"), _("Attempt"), _("Trigger"), _("By"), _("Task id"), _("Worker"),
        _("Duration (ms)"),
    ]  # fmt: skip


def _readable(entries: QuerySet[ActivityLog]) -> Iterator[list[object]]:
    """Rows as the page shows them: local naive time, labels, current record names and
    messages explained."""
    tz = timezone.get_current_timezone()
    chunk = 2000
    for rows in batched(entries.select_related("actor").iterator(chunk_size=chunk), chunk):
        for entry in with_current_labels(rows):
            yield [
                timezone.localtime(entry.created_at, tz).replace(tzinfo=None),
                entry.process_label,
                entry.get_event_display(),
                entry.get_level_display(),
                entry.label,
                entry.get_cause_display() if entry.cause else "",
                entry.display_message,
                entry.attempt or None,
                entry.get_trigger_display(),
                entry.actor.get_username() if entry.actor else _("system"),
                entry.task_id,
                entry.worker,
                entry.duration_ms,
            ]


def spreadsheet_csv(entries: QuerySet[ActivityLog]) -> StreamingHttpResponse:
    """For Excel or LibreOffice in the reader's language (French: semicolons, a UTF-8
    BOM, dd/mm/yyyy hh:mm:ss local times)."""
    return csv_response("journal-activite-tableur.csv", _header(), _readable(entries))


def xlsx(entries: QuerySet[ActivityLog]) -> FileResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Activity log")[:31])
    sheet.freeze_panes = "A2"
    widths = (20, 22, 14, 12, 20, 22, 80, 8, 18, 16, 38, 24, 12)
    for column, width in zip("ABCDEFGHIJKLM", widths, strict=True):
        sheet.column_dimensions[column].width = width
    bold = Font(bold=True)
    header = []
    for title in _header():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in _limited(_readable(entries), XLSX_MAX_ROWS):
        time_cell = WriteOnlyCell(sheet, value=row[0])
        time_cell.number_format = "DD/MM/YYYY HH:MM:SS"
        sheet.append([time_cell, *(_text_or_value(sheet, value) for value in row[1:])])
    # Closed by FileResponse once sent.
    output = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    return FileResponse(
        output,
        as_attachment=True,
        filename="journal-activite.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _text_or_value(sheet: Any, value: object) -> object:
    """Text stored as text: openpyxl would write "=…" (a customer's name, a server's
    reply) as a formula that runs when the file is opened. Only "=" makes openpyxl write a
    formula; a cell is built for those alone (one per value would slow a million-row
    export by half)."""
    if not isinstance(value, str) or not value.startswith("="):
        return value
    from openpyxl.cell import WriteOnlyCell

    text_cell = WriteOnlyCell(sheet, value=value)
    text_cell.data_type = "s"
    return text_cell


def _limited(rows: Iterable[list[object]], limit: int) -> Iterator[list[object]]:
    for index, row in enumerate(rows):
        if index >= limit:
            return
        yield row


def _stream(rows: Iterator[str], filename: str, content_type: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(rows, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
