"""What the automation core's signals mean for incidents."""

from django.db import models

from . import services


def failed(*, record: models.Model, process: str, cause: str, details: dict, **kwargs) -> None:
    """A final failure or an automatic retry: the record joins (or opens) its incident."""
    services.note_failure(record=record, process=process, cause=cause, details=details)


def succeeded(*, record: models.Model, recovered: bool = False, **kwargs) -> None:
    if recovered:
        services.note_success(record=record)
