"""Start-up checks of the contract every declared process's record fulfils."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import FieldDoesNotExist

from . import processes
from .models import TrackedQuerySet, TrackedRecord


@checks.register()
def check_tracked_records(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for process in processes.all_processes():
        model = process.model
        where = f"{model._meta.label} (process {process.name!r})"
        if not issubclass(model, TrackedRecord):
            errors.append(
                checks.Error(f"{where} is not a TrackedRecord.", obj=model, id="activity.E001")
            )
            continue
        if not isinstance(model._default_manager.all(), TrackedQuerySet):
            errors.append(
                checks.Error(
                    f"{where}: its default manager must be built on TrackedQuerySet, the only "
                    "place that changes a tracked record's status.",
                    obj=model,
                    id="activity.E002",
                )
            )
        try:
            status = model._meta.get_field("status")
        except FieldDoesNotExist:
            errors.append(
                checks.Error(f"{where} has no status field.", obj=model, id="activity.E003")
            )
            continue
        values = {value for value, _ in (status.choices or [])}
        declared = {
            "STATUS_QUEUED": getattr(model, "STATUS_QUEUED", None),
            "STATUS_RUNNING": getattr(model, "STATUS_RUNNING", None),
            "STATUS_FAILED": getattr(model, "STATUS_FAILED", None),
        }
        for name, value in declared.items():
            if value not in values:
                errors.append(
                    checks.Error(
                        f"{where}: {name} = {value!r} is not one of its status choices.",
                        obj=model,
                        id="activity.E004",
                    )
                )
        others = [*getattr(model, "RETRYABLE_STATUSES", ()), *model.FAILURE_STATUSES]
        if model.STATUS_UNKNOWN:
            others.append(model.STATUS_UNKNOWN)
        if not getattr(model, "RETRYABLE_STATUSES", None):
            errors.append(
                checks.Error(
                    f"{where} declares no RETRYABLE_STATUSES.", obj=model, id="activity.E005"
                )
            )
        for value in others:
            if value not in values:
                errors.append(
                    checks.Error(
                        f"{where}: {value!r} is not one of its status choices.",
                        obj=model,
                        id="activity.E004",
                    )
                )
        if model.get_absolute_url is TrackedRecord.get_absolute_url:
            errors.append(
                checks.Error(
                    f"{where} must define get_absolute_url (alerts link to it).",
                    obj=model,
                    id="activity.E006",
                )
            )
    return errors
