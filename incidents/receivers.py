"""What the automation core's signals mean for incidents."""

from typing import Any

from activity.models import TrackedRecord

from . import services


def failed(
    *, record: TrackedRecord, process: str, cause: str, details: dict[str, Any], **kwargs: Any
) -> None:
    """A final failure or an automatic retry: the record joins (or opens) its incident."""
    services.note_failure(record=record, process=process, cause=cause, details=details)


def succeeded(*, record: TrackedRecord, recovered: bool = False, **kwargs: Any) -> None:
    if recovered:
        services.note_success(record=record)
