"""The Activity Log page at scale: keyset pagination vs OFFSET on a million entries.

    .venv/bin/python bench/activity_log.py [ROWS]      (default 1,000,000)

Rows are loaded with COPY on PostgreSQL (bulk_create elsewhere). The queries are the
page's own: ActivityFilterForm.filter + commbilling.pagination.keyset_paginate.
"""

import random
import sys
import time
from datetime import UTC, datetime, timedelta

from _common import bench_database, row, timed
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.http import QueryDict

from activity.forms import ActivityFilterForm
from activity.models import ActivityLog, Cause, Event, Level
from commbilling.pagination import keyset_paginate
from invoices.models import Invoice
from tests.factories import OrganisationFactory

PAGE = 50
COLUMNS = [
    "organisation_id",
    "created_at",
    "process",
    "event",
    "level",
    "content_type_id",
    "object_id",
    "record_label",
    "cause",
    "message_code",
    "message_params",
    "message",
    "details",
    "attempt",
    "trigger",
    "task_id",
    "worker",
]


def _rows(count: int, organisations: list[int], content_type: int):
    rng = random.Random(42)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    processes = ["invoice_generation", "email_delivery", "refund"]
    for n in range(count):
        failed = rng.random() < 0.12
        cause = rng.choice(list(Cause.values)) if failed else ""
        yield (
            organisations[0] if rng.random() < 0.8 else rng.choice(organisations[1:]),
            start + timedelta(seconds=n * 30),
            rng.choice(processes),
            Event.FAILED if failed else rng.choice([Event.QUEUED, Event.STARTED, Event.SUCCEEDED]),
            Level.ERROR if failed else Level.INFO,
            content_type,
            n // 3 + 1,
            f"F-2026-{n // 3 + 1:06d}",
            cause,
            "",
            "{}",
            "Storage unreachable — retry 2/5" if failed else "",
            "{}",
            rng.randint(1, 3),
            "system",
            f"{n:032x}",
            "worker-1@host:4242",
        )


def load(count: int, organisations: list[int], content_type: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            copy_sql = f"COPY activity_activitylog ({', '.join(COLUMNS)}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for values in _rows(count, organisations, content_type):
                    copy.write_row(values)
            cursor.execute("ANALYZE activity_activitylog")
        return
    batch: list[ActivityLog] = []
    for values in _rows(count, organisations, content_type):
        fields = dict(zip(COLUMNS, values, strict=True))
        fields["details"] = fields["message_params"] = {}
        batch.append(ActivityLog(**fields))
        if len(batch) == 10_000:
            ActivityLog.objects.bulk_create(batch)
            batch = []
    ActivityLog.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main(count: int) -> None:
    with bench_database():
        organisations = [OrganisationFactory.create() for _ in range(5)]
        content_type = ContentType.objects.get_for_model(Invoice).pk
        started = time.perf_counter()
        load(count, [o.pk for o in organisations], content_type)
        print(f"# loaded {count:,} entries in {time.perf_counter() - started:.1f}s")

        def entries(query: str = ""):
            form = ActivityFilterForm(QueryDict(query) or None, organisation=organisations[0])
            return form.filter(ActivityLog.objects.for_organisation(organisations[0]))

        def keyset_page(query: str, cursor: int | None):
            return lambda: keyset_paginate(
                entries(query), str(cursor) if cursor else None, size=PAGE
            )

        def offset_page(query: str, offset: int):
            return lambda: list(entries(query).order_by("-id")[offset : offset + PAGE + 1])

        def cursor_at(query: str, depth: int) -> tuple[int, int]:
            ids = entries(query).order_by("-id").values_list("id", flat=True)
            total = entries(query).count()
            depth = min(depth, max(total - PAGE - 1, 0))
            return ids[depth - 1], depth

        filtered = f"process=invoice_generation&cause={Cause.CONNECTIVITY}"
        total = entries().count()
        filtered_total = entries(filtered).count()
        deep_cursor, deep = cursor_at("", total // 2)
        deep_filtered_cursor, deep_filtered = cursor_at(filtered, filtered_total // 2)
        print(
            f"# organisation: {total:,} entries; process+cause filter: {filtered_total:,}; "
            f"{PAGE} per page; median of 7 runs"
        )
        row("page", "keyset ms", "OFFSET ms", "OFFSET/keyset")
        cases = [
            ("first page", "", None, 0),
            (f"deep page (row {deep:,})", "", deep_cursor, deep),
            ("filtered first page (process+cause)", filtered, None, 0),
            (
                f"filtered deep page (row {deep_filtered:,})",
                filtered,
                deep_filtered_cursor,
                deep_filtered,
            ),
        ]
        for label, query, cursor, offset in cases:
            keyset_ms = timed(keyset_page(query, cursor))
            offset_ms = timed(offset_page(query, offset))
            assert [e.pk for e in keyset_page(query, cursor)().items] == [
                e.pk for e in offset_page(query, offset)()[:PAGE]
            ]
            row(label, f"{keyset_ms:.2f}", f"{offset_ms:.2f}", f"{offset_ms / keyset_ms:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
