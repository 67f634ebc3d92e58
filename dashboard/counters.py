"""Counters maintained with each status change, so the dashboard never counts tables.

``activity`` announces every status change of a tracked record (``status_changed``,
sent inside the transaction of the change); records created or deleted are seen through
``post_save``/``post_delete``. Each change inserts a few ``Counter`` rows in that same
transaction. ``compact`` merges them periodically; ``recount`` rebuilds the current
counts from the tables (after a migration, or to repair counts changed behind the
queryset's back).
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import connection, models, transaction
from django.db.models import Sum
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils import timezone

from activity import processes
from activity.models import TrackedRecord
from activity.signals import status_changed

from . import kpis
from .models import Counter

ZERO = Decimal(0)


def _tracked_models() -> dict[type[TrackedRecord], str]:
    return {p.model: p.name for p in processes.all_processes()}


def _entered(*, model, process: str, record_id: int, organisation_id: int, status: str) -> Counter:
    """The day row of a record entering ``status``: its cause when it is a failure,
    its amount when a KPI adds one up."""
    amount_field = kpis.amount_field(process, status)
    failure = status in model.failed_statuses()
    amount, cause = ZERO, ""
    if amount_field or failure:
        wanted = [amount_field] if amount_field else []
        wanted += ["last_cause"] if failure else []
        values = model._base_manager.filter(pk=record_id).values(*wanted).first() or {}
        amount = values.get(amount_field) or ZERO
        cause = values.get("last_cause") or ""
    return Counter(
        organisation_id=organisation_id,
        process=process,
        status=status,
        day=timezone.localdate(),
        cause=cause,
        n=1,
        amount=amount,
    )


def count_change(
    *, model, record_id: int, organisation_id: int, old_status: str | None, new_status: str | None
) -> None:
    """Count a record leaving ``old_status`` for ``new_status`` (None: created/deleted)."""
    process = _tracked_models().get(model)
    if process is None or old_status == new_status:
        return
    rows = []
    if old_status is not None:
        rows.append(
            Counter(organisation_id=organisation_id, process=process, status=old_status, n=-1)
        )
    if new_status is not None:
        rows.append(
            Counter(organisation_id=organisation_id, process=process, status=new_status, n=1)
        )
        rows.append(
            _entered(
                model=model,
                process=process,
                record_id=record_id,
                organisation_id=organisation_id,
                status=new_status,
            )
        )
    Counter.objects.bulk_create(rows)


def _on_status_changed(sender, *, record_id, organisation_id, old_status, new_status, **kwargs):
    count_change(
        model=sender,
        record_id=record_id,
        organisation_id=organisation_id,
        old_status=old_status,
        new_status=new_status,
    )


def _on_save(sender, *, instance, created, **kwargs) -> None:
    if created and sender in _tracked_models():
        count_change(
            model=sender,
            record_id=instance.pk,
            organisation_id=instance.organisation_id,
            old_status=None,
            new_status=instance.status,
        )


def _on_delete(sender, *, instance, **kwargs) -> None:
    if sender in _tracked_models():
        count_change(
            model=sender,
            record_id=instance.pk,
            organisation_id=instance.organisation_id,
            old_status=instance.status,
            new_status=None,
        )


def _on_migrate(sender, **kwargs) -> None:
    if sender.name == "dashboard" and not Counter.objects.exists():
        recount()


def connect() -> None:
    status_changed.connect(_on_status_changed, dispatch_uid="dashboard-counters")
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
        for model, process in _tracked_models().items():
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
