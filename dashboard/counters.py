"""Counters maintained with each status change, so the dashboard never counts tables.

``activity`` announces every status change of a tracked record (``status_changed``,
sent inside the transaction of the change; ``statuses_changed`` for many records changed
or created in one statement); records created or deleted one by one are seen through
``post_save``/``post_delete``. Each change inserts a few ``Counter`` rows in that same
transaction. ``compact`` merges them periodically; ``recount`` rebuilds the current
counts from the tables (after a migration, or to repair counts changed behind the
queryset's back).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from django.db import connection, models, transaction
from django.db.models import Sum
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils import timezone

from activity import processes
from activity.models import TrackedRecord
from activity.signals import read_back, status_changed, statuses_changed

from . import kpis
from .models import Counter

ZERO = Decimal(0)


def _tracked_models() -> dict[type[TrackedRecord], str]:
    return {p.model: p.name for p in processes.all_processes()}


Change = tuple[int, int, str | None, str | None]  # record id, organisation id, old, new


def _wanted(process: str, status: str, failed: set[str]) -> set[str]:
    """The fields of a record entering ``status`` that its day row needs."""
    wanted = {f for f in [kpis.amount_field(process, status)] if f}
    if status in failed:
        wanted.add("last_cause")
    return wanted


def count_changes(
    *, model, changes: Iterable[Change], known: Mapping[int, Mapping[str, object]] | None = None
) -> None:
    """Count records leaving their old status for their new one (None: created or
    deleted), in one INSERT whatever their number: the current counts move by the sum
    per status; the day rows say how many entered each status, with the cause of
    failures and the amount a KPI adds up (``known``: what the change's own UPDATE read
    back, by record id; else read in one query when needed)."""
    process = _tracked_models().get(model)
    if process is None:
        return
    changes = [change for change in changes if change[2] != change[3]]
    if not changes:
        return
    failed = set(model.failed_statuses())
    known = known or {}
    values: dict[int, Mapping[str, object]] = {}
    wanted: set[str] = set()
    for pk, _organisation_id, _old, new in changes:
        if new is None:
            continue
        needs = _wanted(process, new, failed)
        row = known.get(pk, {})
        if needs <= row.keys():
            values[pk] = row
        else:
            wanted |= needs
    if wanted:
        pks = [pk for pk, _o, _old, new in changes if new is not None and pk not in values]
        values |= {
            row["pk"]: row for row in model._base_manager.filter(pk__in=pks).values("pk", *wanted)
        }
    today = timezone.localdate()
    current: dict[tuple[int, str], int] = defaultdict(int)
    entered: dict[tuple[int, str, str], list] = defaultdict(lambda: [0, ZERO])
    for pk, organisation_id, old, new in changes:
        if old is not None:
            current[(organisation_id, old)] -= 1
        if new is None:
            continue
        current[(organisation_id, new)] += 1
        row = values.get(pk, {})
        amount_field = kpis.amount_field(process, new)
        cause = str(row.get("last_cause") or "") if new in failed else ""
        day = entered[(organisation_id, new, cause)]
        day[0] += 1
        day[1] += (row.get(amount_field) if amount_field else None) or ZERO
    rows = [
        Counter(organisation_id=organisation_id, process=process, status=status, n=n)
        for (organisation_id, status), n in current.items()
        if n
    ] + [
        Counter(
            organisation_id=organisation_id,
            process=process,
            status=status,
            day=today,
            cause=cause,
            n=n,
            amount=amount,
        )
        for (organisation_id, status, cause), (n, amount) in entered.items()
    ]
    Counter.objects.bulk_create(rows)


def _on_status_changed(
    sender,
    *,
    record_id,
    organisation_id,
    old_status,
    new_status,
    bulk=False,
    values=None,
    **kwargs,
):
    if not bulk:  # counted with the others of its statement (statuses_changed)
        count_changes(
            model=sender,
            changes=[(record_id, organisation_id, old_status, new_status)],
            known={record_id: values} if values else None,
        )


def _on_statuses_changed(sender, *, changes, **kwargs) -> None:
    count_changes(model=sender, changes=changes)


def _on_save(sender, *, instance, created, **kwargs) -> None:
    if created and sender in _tracked_models():
        count_changes(
            model=sender, changes=[(instance.pk, instance.organisation_id, None, instance.status)]
        )


def _on_delete(sender, *, instance, **kwargs) -> None:
    if sender in _tracked_models():
        count_changes(
            model=sender, changes=[(instance.pk, instance.organisation_id, instance.status, None)]
        )


def _on_migrate(sender, **kwargs) -> None:
    if sender.name == "dashboard" and not Counter.objects.exists():
        recount()


def connect() -> None:
    # What a day row needs, read back by the UPDATE that changes the status (no SELECT).
    for model, process in _tracked_models().items():
        failed = set(model.failed_statuses())
        for status in {kpi.status for kpi in kpis.KPIS if kpi.process == process} | failed:
            if wanted := _wanted(process, status, failed):
                read_back(model, status, *sorted(wanted))
    status_changed.connect(_on_status_changed, dispatch_uid="dashboard-counters")
    statuses_changed.connect(_on_statuses_changed, dispatch_uid="dashboard-counters-bulk")
    post_save.connect(_on_save, dispatch_uid="dashboard-counters-save")
    post_delete.connect(_on_delete, dispatch_uid="dashboard-counters-delete")
    post_migrate.connect(_on_migrate, dispatch_uid="dashboard-counters-migrate")


# --- Reading ----------------------------------------------------------------------


def status_counts(organisation_id: int) -> dict[tuple[str, str], int]:
    """How many records of each process are in each status now."""
    rows = (
        Counter.objects.filter(organisation_id=organisation_id, day__isnull=True)
        .values_list("process", "status")
        .annotate(total=Sum("n"))
        .order_by()
    )
    return {(process, status): total for process, status, total in rows}


def daily(organisation_id: int, since: date) -> list[tuple[date, str, str, str, int, Decimal]]:
    """(day, process, status, cause, entered, amount) from ``since`` on."""
    rows = (
        Counter.objects.filter(organisation_id=organisation_id, day__gte=since)
        .values_list("day", "process", "status", "cause")
        .annotate(total=Sum("n"), amount_total=Sum("amount"))
        .order_by()
    )
    return list(rows)


# --- Maintenance ------------------------------------------------------------------


def compact(*, limit: int = 100_000) -> int:
    """Merge the rows of each key into one; returns how many rows were removed."""
    with transaction.atomic():
        rows = list(
            Counter.objects.select_for_update()
            .order_by("id")
            .values_list(
                "id", "organisation_id", "process", "status", "day", "cause", "n", "amount"
            )[:limit]
        )
        groups: dict[tuple, list] = defaultdict(lambda: [0, ZERO, []])
        for pk, *key, n, amount in rows:
            group = groups[tuple(key)]
            group[0] += n
            group[1] += amount
            group[2].append(pk)
        merged = []
        removed: list[int] = []
        for (organisation_id, process, status, day, cause), (n, amount, ids) in groups.items():
            if len(ids) == 1 and (n or amount):
                continue
            removed.extend(ids)
            if n or amount:
                merged.append(
                    Counter(
                        organisation_id=organisation_id,
                        process=process,
                        status=status,
                        day=day,
                        cause=cause,
                        n=n,
                        amount=amount,
                    )
                )
        for start in range(0, len(removed), 5000):
            Counter.objects.filter(id__in=removed[start : start + 5000]).delete()
        Counter.objects.bulk_create(merged, batch_size=5000)
    return len(removed) - len(merged)


def recount(organisation_ids: Iterable[int] | None = None) -> None:
    """Rebuild the current counts (not the day rows) from the records themselves.

    On PostgreSQL the counters table is locked meanwhile: a status change waits for the
    recount and is then counted on top of it, so nothing is lost or counted twice.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'LOCK TABLE "{Counter._meta.db_table}" IN EXCLUSIVE MODE')
        current = Counter.objects.filter(day__isnull=True)
        if organisation_ids is not None:
            organisation_ids = list(organisation_ids)
            current = current.filter(organisation_id__in=organisation_ids)
        current.delete()
        rows = []
        # A process whose table is not there (yet, or any more) has nothing to count.
        tables = set(connection.introspection.table_names())
        for model, process in _tracked_models().items():
            if model._meta.db_table not in tables:
                continue
            records = model._base_manager.all()
            if organisation_ids is not None:
                records = records.filter(organisation_id__in=organisation_ids)
            for organisation_id, status, n in (
                records.values_list("organisation_id", "status")
                .annotate(n=models.Count("pk"))
                .order_by()
            ):
                rows.append(
                    Counter(organisation_id=organisation_id, process=process, status=status, n=n)
                )
        Counter.objects.bulk_create(rows, batch_size=5000)
