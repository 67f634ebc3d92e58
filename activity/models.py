from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import Any, NoReturn, Self, TypeVar, cast

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationQuerySet

from . import processes
from .choices import Cause, Event, Level, Trigger
from .errors import AutomationError
from .messages import Explanation, explain
from .signals import read_back_fields, status_changed, statuses_changed

__all__ = [
    "ActivityLog",
    "Alert",
    "AppendOnlyError",
    "Cause",
    "Event",
    "Level",
    "TrackedQuerySet",
    "TrackedRecord",
    "Trigger",
]


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an Activity Log entry."""


class ActivityLogQuerySet(OrganisationQuerySet["ActivityLog"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("The Activity Log is append-only.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("The Activity Log is append-only.")

    def bulk_create(
        self, objs: Iterable["ActivityLog"], *args: Any, **kwargs: Any
    ) -> list["ActivityLog"]:
        if kwargs.get("update_conflicts"):
            raise AppendOnlyError("The Activity Log is append-only.")
        return super().bulk_create(objs, *args, **kwargs)

    def for_record(self, record: models.Model) -> Self:
        return self.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        )


class NamesRecord:
    """An entry about a record (log entry, alert): the record is named by its content
    type and id; ``record_label`` keeps its name at write time for when it is gone.

    ``label`` is the record's current name in the reader's language once
    ``activity.labels.with_current_labels`` has looked the records up (one query per
    model for a whole page); until then, the name at write time.
    """

    record_label: str
    process: str

    @property
    def label(self) -> str:
        return self.__dict__.get("current_label") or self.record_label

    @property
    def process_label(self) -> str:
        return processes.label_of(self.process)


class ActivityLog(NamesRecord, models.Model):
    """The permanent history of every automated attempt. Append-only, never purged.

    On PostgreSQL a trigger (migration 0002) refuses UPDATE and DELETE on the table too;
    below the queryset's methods, see activity/append_only.py.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=False)
    # The name of a declared process (activity.processes); labels come from the registry.
    process = models.CharField(_("process"), max_length=32)
    event = models.CharField(_("event"), max_length=16, choices=Event.choices)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, default=Level.INFO)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when the system acted."),
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("record type")
    )
    object_id = models.BigIntegerField(verbose_name=_("record id"))
    record = GenericForeignKey("content_type", "object_id")
    record_label = models.CharField(_("record"), max_length=120)
    cause = models.CharField(_("cause"), max_length=16, choices=Cause.choices, blank=True)
    # What happened, as declared in an app's texts.py (activity.texts): rendered in each
    # reader's language. ``message`` keeps the English rendering, for search and support.
    message_code = models.CharField(_("message code"), max_length=64, blank=True)
    message_params = models.JSONField(_("message parameters"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    attempt = models.PositiveIntegerField(_("attempt"), default=0)
    trigger = models.CharField(
        _("trigger"), max_length=16, choices=Trigger.choices, default=Trigger.SYSTEM
    )
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    worker = models.CharField(_("worker"), max_length=120, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)

    objects = ActivityLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity log entry")
        verbose_name_plural = _("activity log")
        # Django reaches rows through the base manager too (related objects, internal
        # queries): it must refuse updates and deletes like ``objects``.
        base_manager_name = "objects"
        # Entries are only ever appended, so the id orders them by time; keyset
        # pagination on it keeps the page fast at millions of rows.
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["organisation", "-id"], name="activity_org_id"),
            models.Index(fields=["organisation", "process", "-id"], name="activity_org_proc"),
            models.Index(fields=["organisation", "cause", "-id"], name="activity_org_cause"),
            models.Index(fields=["organisation", "level", "-id"], name="activity_org_level"),
            models.Index(fields=["organisation", "created_at"], name="activity_org_time"),
            models.Index(fields=["organisation", "record_label", "-id"], name="activity_org_label"),
            models.Index(fields=["content_type", "object_id", "-id"], name="activity_record"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.process} {self.event} {self.record_label}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("The Activity Log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("The Activity Log is append-only.")

    @property
    def display_message(self) -> str:
        """A failure or retry reads as its explanation in the reader's language; other
        events keep their message."""
        if not self.cause or self.event not in (Event.FAILED, Event.RETRIED):
            from .texts import display

            return display(
                code=self.message_code,
                params=self.message_params,
                stored=self.message,
                model=(
                    ContentType.objects.get_for_id(self.content_type_id).model_class()
                    if self.message_code
                    else None
                ),
            )
        why = explain(
            process=self.process, cause=self.cause, details=self.details, record_label=self.label
        ).why
        if self.event == Event.RETRIED and self.message_code:
            from .texts import display

            # "… could not be reached: …. Automatic retry 2 of 3 in 1,5 s."
            return f"{why} {display(code=self.message_code, params=self.message_params, stored='')}"
        return why


class AlertQuerySet(OrganisationQuerySet["Alert"]):
    def open(self) -> Self:
        return self.filter(resolved_at__isnull=True)

    def unacknowledged(self) -> Self:
        return self.open().filter(acknowledged_at__isnull=True)


class Alert(NamesRecord, models.Model):
    """A failure shown on every page until it is acknowledged or its record succeeds."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    process = models.CharField(_("process"), max_length=32)
    cause = models.CharField(_("cause"), max_length=16, choices=Cause.choices)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("record type")
    )
    object_id = models.BigIntegerField(verbose_name=_("record id"))
    record = GenericForeignKey("content_type", "object_id")
    record_label = models.CharField(_("record"), max_length=120)
    record_url = models.CharField(max_length=300, blank=True, verbose_name=_("record link"))
    message = models.TextField(_("message"))
    activity = models.ForeignKey(
        ActivityLog, on_delete=models.PROTECT, related_name="+", verbose_name=_("log entry")
    )
    created_at = models.DateTimeField(_("raised at"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open alert per record: a record failing again updates it.
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_alert_per_record",
            )
        ]
        indexes = [
            models.Index(
                fields=["organisation", "-created_at"],
                condition=models.Q(resolved_at__isnull=True),
                name="alert_open_by_org",
            )
        ]

    def __str__(self) -> str:
        return f"{self.process_label} — {self.record_label}"

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def explanation(self) -> Explanation:
        """What failed, why and what to do, in the reader's language."""
        return explain(
            process=self.process,
            cause=self.cause,
            details=self.activity.details,
            record_label=self.label,
        )


_R = TypeVar("_R", bound="TrackedRecord", covariant=True)

# Set by the runner (activity.runner) while a service works on a record: called with each
# record that ``mark_succeeded`` moves, inside that change's transaction, so that the
# attempt's success is written to the Activity Log if and only if it is committed.
attempt_succeeded: ContextVar["Callable[[TrackedRecord], None] | None"] = ContextVar(
    "attempt_succeeded", default=None
)


def _keep_in_step(
    record: "TrackedRecord",
    fields: "Sequence[models.Field[Any, Any]]",
    row: tuple[Any, ...],
    *,
    using: str,
    whole_row: bool,
) -> None:
    """Give ``record`` the values an UPDATE … RETURNING read back. The whole row
    (``whole_row``) goes through ``from_db`` as a SELECT would (a model's own bookkeeping
    of what it loaded included); a few columns are set as they are."""
    if not whole_row:
        for field, value in zip(fields, row, strict=True):
            setattr(record, field.attname, value)
        return
    loaded = type(record).from_db(using, [field.attname for field in fields], row)
    state = record._state
    record.__dict__.update(loaded.__dict__)
    record._state = state
    state.adding, state.db = False, using
    # Related objects cached before may no longer match the ids just read: dropped, as a
    # refresh_from_db would.
    state.fields_cache = {}
    record.__dict__.pop("_prefetched_objects_cache", None)


class TrackedQuerySet(OrganisationQuerySet[_R]):
    """The only place where a tracked record changes status.

    Every change is a conditional UPDATE of one record: it happens only from the statuses
    the caller names (so a double click, two workers or a late step change nothing) and
    says whether it happened. Each change sends ``signals.status_changed`` inside the
    same transaction.
    """

    def _move(
        self,
        record: "TrackedRecord",
        *,
        to: str,
        from_statuses: tuple[str, ...] | list[str],
        when: models.Q | None = None,
        fields: Mapping[str, object],
        whole_row: bool = False,
    ) -> str | None:
        """Move the record to ``to`` if it is in one of ``from_statuses`` (and matches
        ``when``), writing ``fields`` too; return the status it left, or None when it was in
        none of them. The record in memory gets the values written (``whole_row``: every
        column, read back by the same UPDATE)."""
        if "status" in fields:
            raise TypeError("the new status is given as ``to``, not among the fields")
        rows = self.filter(pk=record.pk)
        if when is not None:
            rows = rows.filter(when)
        meta = self.model._meta
        values = [
            (cast("models.Field[Any, Any]", meta.get_field(name)), None, value)
            for name, value in {"status": to, **fields}.items()
        ]
        # The columns read back by the UPDATE itself (RETURNING): the record in memory
        # shows what was written, expressions (attempts + 1) included, without a SELECT.
        # Through ``QuerySet._update``, the path of Django's own save for returned columns.
        # Besides, the columns the receivers of ``status_changed`` read (``read_back``).
        if whole_row:
            returning = list(meta.concrete_fields)
        else:
            returning = [field for field, _model, _value in values]
            returning += [
                field
                for field in (
                    cast("models.Field[Any, Any]", meta.get_field(name))
                    for name in read_back_fields(self.model, to)
                )
                if field not in returning
            ]
        # One UPDATE per origin, so the signal says exactly which status was left (the
        # common case has a single origin, hence a single statement). The receivers run in
        # the same transaction: what they create exists if and only if the change does. No
        # savepoint: a failing receiver aborts the whole change, never only its own part.
        with transaction.atomic(savepoint=False):
            for old in from_statuses:
                written = cast(Any, rows.filter(status=old))._update(
                    values, returning_fields=returning
                )
                if written:
                    _keep_in_step(record, returning, written[0], using=rows.db, whole_row=whole_row)
                    if old != to:
                        status_changed.send(
                            sender=self.model,
                            record=record,
                            record_id=record.pk,
                            organisation_id=record.organisation_id,
                            old_status=old,
                            new_status=to,
                            values={
                                field.attname: value
                                for field, value in zip(returning, written[0], strict=True)
                            },
                        )
                    return old
        return None

    def transition(
        self,
        record: "TrackedRecord",
        *,
        to: str,
        from_statuses: tuple[str, ...] | list[str],
        when: models.Q | None = None,
        **fields: object,
    ) -> bool:
        """A change of the process's own lifecycle (approved, cancelled, delivered…)."""
        return (
            self._move(record, to=to, from_statuses=from_statuses, when=when, fields=fields)
            is not None
        )

    def claim(self, record: "TrackedRecord", *, task_id: str, stale_before: datetime) -> bool:
        """Queued → running for the task ``task_id``. A record running under the same task
        id (a message redelivered after its worker died) or for too long is taken over.
        The claimed record is read back by the claim itself: ``record`` may hold only its
        id (``model(pk=…)``) and comes back whole."""
        model = self.model
        fields: dict[str, Any] = {
            "started_at": timezone.now(),
            "next_retry_at": None,
            "attempts": models.F("attempts") + 1,
            "task_id": task_id,
        }
        return bool(
            self._move(
                record,
                to=model.STATUS_RUNNING,
                from_statuses=[model.STATUS_QUEUED],
                fields=fields,
                whole_row=True,
            )
            or self._move(
                record,
                to=model.STATUS_RUNNING,
                from_statuses=[model.STATUS_RUNNING],
                when=models.Q(task_id=task_id) | models.Q(started_at__lte=stale_before),
                fields=fields,
                whole_row=True,
            )
        )

    def requeue(
        self,
        record: "TrackedRecord",
        *,
        from_statuses: tuple[str, ...] | list[str],
        task_id: str,
        when: models.Q | None = None,
        restart: bool = False,
        retry_at: datetime | None = None,
        error: AutomationError | None = None,
        give_back_attempt: bool = False,
    ) -> bool:
        """Back to queued for the task ``task_id``: ``restart`` counts attempts from zero
        (a user's request), ``retry_at`` and ``error`` say when and why the runner retries
        automatically; ``give_back_attempt`` uncounts the attempt just claimed (the record
        waits for a service and was not tried)."""
        fields: dict[str, object] = {
            "queued_at": timezone.now(),
            "next_retry_at": retry_at,
            "task_id": task_id,
        }
        if restart:
            fields |= {"attempts": 0, "started_at": None}
        elif give_back_attempt:
            fields["attempts"] = models.F("attempts") - 1
        if error is not None:
            fields |= {
                "last_cause": error.cause,
                "last_error": error.message,
                "last_error_details": error.details,
            }
        return (
            self._move(
                record,
                to=self.model.STATUS_QUEUED,
                from_statuses=from_statuses,
                when=when,
                fields=fields,
            )
            is not None
        )

    def requeue_many(
        self, ids: Iterable[int], *, from_statuses: tuple[str, ...] | list[str], batch: str
    ) -> list[_R]:
        """``requeue(restart=True)`` for many records at once, one UPDATE per origin status
        whatever their number: each record still in one of ``from_statuses`` gets the task
        id ``<batch>.<origin index>-<pk>``. Returns the records moved (one SELECT); sends
        ``status_changed`` for each, in the caller's transaction."""
        model = self.model
        ids = list(ids)
        with transaction.atomic():
            for index, old in enumerate(from_statuses):
                # A record moved from an earlier origin of this batch stays as it is.
                self.filter(pk__in=ids, status=old).exclude(task_id__startswith=f"{batch}.").update(
                    status=model.STATUS_QUEUED,
                    queued_at=timezone.now(),
                    next_retry_at=None,
                    attempts=0,
                    started_at=None,
                    task_id=Concat(
                        models.Value(f"{batch}.{index}-"),
                        Cast("pk", output_field=models.CharField()),
                        output_field=models.CharField(),
                    ),
                )
            moved = list(self.for_labels().filter(pk__in=ids, task_id__startswith=f"{batch}."))
            changes = []
            for record in moved:
                origin = from_statuses[int(record.task_id.split(".", 1)[1].split("-", 1)[0])]
                if origin != model.STATUS_QUEUED:
                    status_changed.send(
                        sender=model,
                        record=record,
                        record_id=record.pk,
                        organisation_id=record.organisation_id,
                        old_status=origin,
                        new_status=model.STATUS_QUEUED,
                        bulk=True,
                    )
                    changes.append((record.pk, record.organisation_id, origin, model.STATUS_QUEUED))
            if changes:
                statuses_changed.send(sender=model, changes=changes)
        return moved

    def bulk_create(
        self,
        objs: Iterable[_R],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> list[_R]:
        """Records created in one INSERT are announced at once (``statuses_changed``, as
        entering their status), in the same transaction. With ``ignore_conflicts`` the
        database does not say which rows it created: those are not announced."""
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(
                objs,
                batch_size=batch_size,
                ignore_conflicts=ignore_conflicts,
                update_conflicts=update_conflicts,
                update_fields=update_fields,
                unique_fields=unique_fields,
            )
            changes = [
                (record.pk, record.organisation_id, None, record.status)
                for record in created
                if record.pk is not None
            ]
            if changes:
                statuses_changed.send(sender=self.model, changes=changes)
        return created

    def mark_failed(
        self,
        record: "TrackedRecord",
        *,
        cause: str,
        message: str,
        details: dict[str, Any],
        status: str = "",
        from_statuses: tuple[str, ...] | list[str] | None = None,
        when: models.Q | None = None,
        **fields: object,
    ) -> bool:
        """A final failure: to ``status`` (default the model's failed status) only from
        ``from_statuses`` (default: running). A record that succeeded meanwhile is never
        flipped to failed by a later step."""
        model = self.model
        return (
            self._move(
                record,
                to=status or model.STATUS_FAILED,
                from_statuses=from_statuses or [model.STATUS_RUNNING],
                when=when,
                fields={
                    "failed_at": timezone.now(),
                    "next_retry_at": None,
                    "last_cause": cause,
                    "last_error": message,
                    "last_error_details": details,
                    **fields,
                },
            )
            is not None
        )

    def mark_succeeded(
        self,
        record: "TrackedRecord",
        *,
        status: str,
        from_statuses: tuple[str, ...] | list[str] | None = None,
        when: models.Q | None = None,
        **fields: object,
    ) -> bool:
        """The work is done: to ``status`` from ``from_statuses`` (default: running), with
        the last error cleared. While the runner works on the record, its success entry is
        written in the same transaction (``attempt_succeeded``)."""
        with transaction.atomic(savepoint=False):
            moved = self._move(
                record,
                to=status,
                from_statuses=from_statuses or [self.model.STATUS_RUNNING],
                when=when,
                fields={
                    "last_cause": "",
                    "last_error": "",
                    "last_error_details": {},
                    "failed_at": None,
                    "next_retry_at": None,
                    **fields,
                },
            )
            if moved is None:
                return False
            if (on_success := attempt_succeeded.get()) is not None:
                on_success(record)
            return True

    def for_labels(self) -> Self:
        """What ``str(record)`` needs, fetched with the records (override to add joins)."""
        return self

    def matching(self, text: str) -> Self:
        """Records a user may name with ``text`` in the Activity Log's record filter
        besides their id (override: an invoice by its number…)."""
        return self.none()


class TrackedRecord(models.Model):
    """What every record handled by automation shares (invoice, e-mail, refund).

    The record's own state is the source of truth, like an outbox: a broker message only
    nudges a worker, and the sweeper re-sends the task for records left queued or running.

    A subclass is declared as a process (``activity.processes.declare``) and provides what
    the system check ``activity.E001``… verifies at start-up: its own ``status`` field
    whose choices include the statuses below, and a default manager built on
    TrackedQuerySet.
    """

    STATUS_QUEUED: str
    STATUS_RUNNING: str
    STATUS_FAILED: str
    # Statuses from which a user's Régénérer/Retry may send the record again.
    RETRYABLE_STATUSES: tuple[str, ...]
    # Statuses shown as failed (with the cause and the Retry button).
    FAILURE_STATUSES: tuple[str, ...] = ()
    # Optional: where a record goes instead of failed when the last attempt's outcome is
    # unknown (errors.OutcomeUnknown), e.g. a provider call whose answer was lost.
    STATUS_UNKNOWN = ""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    # Overridden by each subclass with its own choices and length (checked at start-up);
    # declared here so that the core's queries on ``status`` are typed.
    status = models.CharField(_("status"), max_length=16)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    next_retry_at = models.DateTimeField(_("next automatic retry"), null=True, blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    last_cause = models.CharField(_("cause"), max_length=16, choices=Cause.choices, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_details = models.JSONField(_("error details"), default=dict, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)

    organisation_id: int

    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        raise NotImplementedError

    @classmethod
    def tracked(cls) -> TrackedQuerySet[Self]:
        """The records, through the queryset that owns their state changes: the default
        manager's, a TrackedQuerySet (``activity.E002`` checks it at start-up). Code that
        names a model uses its ``objects``; the core, which does not, uses this."""
        rows = cls._default_manager.all()
        if not isinstance(rows, TrackedQuerySet):
            raise TypeError(f"{cls._meta.label}: its default manager is not a TrackedQuerySet")
        return rows

    @property
    def process(self) -> processes.Process:
        return processes.for_model(type(self))

    @classmethod
    def failed_statuses(cls) -> tuple[str, ...]:
        """Every status shown as failed: the failed status first, then the others."""
        return (cls.STATUS_FAILED, *(s for s in cls.FAILURE_STATUSES if s != cls.STATUS_FAILED))

    @property
    def is_failed(self) -> bool:
        return self.status in self.failed_statuses()

    @property
    def is_retrying(self) -> bool:
        return self.next_retry_at is not None

    @property
    def missing_fields(self) -> list[dict[str, str]]:
        return list(self.last_error_details.get("fields", []))

    def names(self) -> list[str]:
        """What the record is or was called, in the current language (its label; override
        to add earlier ones, like a draft's before its number)."""
        return [str(self)]

    def failure_status(self, error: AutomationError) -> str:
        """The status a final failure with ``error`` leaves the record in."""
        if getattr(error, "outcome_unknown", False) and self.STATUS_UNKNOWN:
            return self.STATUS_UNKNOWN
        return error.final_status or self.STATUS_FAILED

    def explain_last_error(self) -> Explanation:
        """What failed last, why and what to do, in the reader's language."""
        return explain(
            process=self.process.name,
            cause=self.last_cause,
            details=self.last_error_details,
            record_label=str(self),
        )

    @property
    def explanation(self) -> Explanation | None:
        """The last error explained while the record is failed or waiting for a retry."""
        return self.explain_last_error() if self.is_failed or self.is_retrying else None
