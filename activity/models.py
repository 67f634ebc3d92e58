from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationQuerySet


class Process(models.TextChoices):
    INVOICE_GENERATION = "invoice_generation", _("Invoice generation")
    EMAIL_DELIVERY = "email_delivery", _("E-mail delivery")
    REFUND = "refund", _("Refund")


class Cause(models.TextChoices):
    MISSING_DATA = "missing_data", _("Missing data")
    WRONG_SETTINGS = "wrong_settings", _("Wrong settings")
    CONNECTIVITY = "connectivity", _("Connectivity")
    REFUSED = "refused", _("Refused by the remote party")
    INTERNAL = "internal", _("Internal error")


class Event(models.TextChoices):
    QUEUED = "queued", _("Queued")
    STARTED = "started", _("Started")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    RETRIED = "retried", _("Retried")
    FIXED = "fixed", _("Fixed")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")


class Level(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    ERROR = "error", _("Error")


class Trigger(models.TextChoices):
    USER = "user", _("User")
    SCHEDULE = "schedule", _("Schedule")
    RETRY = "retry", _("Automatic retry")
    BATCH = "batch", _("Batch")
    SYSTEM = "system", _("System")


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an Activity Log entry."""


class ActivityLogQuerySet(OrganisationQuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The Activity Log is append-only.")

    def delete(self):
        raise AppendOnlyError("The Activity Log is append-only.")

    def for_record(self, record: models.Model):
        return self.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        )


class ActivityLog(models.Model):
    """The permanent history of every automated attempt. Append-only, never purged.

    On PostgreSQL a trigger (migration 0002) refuses UPDATE and DELETE on the table too.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=False)
    process = models.CharField(_("process"), max_length=32, choices=Process.choices)
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

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("The Activity Log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The Activity Log is append-only.")

    @property
    def display_message(self) -> str:
        """A failure or retry reads as its explanation in the reader's language; other
        events keep their message."""
        if not self.cause or self.event not in (Event.FAILED, Event.RETRIED):
            from .texts import display

            return display(code="", params={}, stored=self.message)
        from .messages import explain

        return explain(
            process=self.process,
            cause=self.cause,
            details=self.details,
            record_label=self.record_label,
        ).why


class AlertQuerySet(OrganisationQuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)

    def unacknowledged(self):
        return self.open().filter(acknowledged_at__isnull=True)


class Alert(models.Model):
    """A failure shown on every page until it is acknowledged or its record succeeds."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    process = models.CharField(_("process"), max_length=32, choices=Process.choices)
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
        return f"{self.get_process_display()} — {self.record_label}"

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def explanation(self):
        """What failed, why and what to do, in the reader's language."""
        from .messages import explain

        return explain(
            process=self.process,
            cause=self.cause,
            details=self.activity.details,
            record_label=self.record_label,
        )


class TrackedRecord(models.Model):
    """What every record handled by automation shares (invoice, e-mail, refund).

    The record's own state is the source of truth, like an outbox: a broker message only
    nudges a worker, and the sweeper re-sends the task for records left queued or running.
    Subclasses declare which of their statuses mean queued, running and failed.
    """

    PROCESS: str
    STATUS_QUEUED: str
    STATUS_RUNNING: str
    STATUS_FAILED: str
    # Statuses from which a user's Régénérer/Retry may send the record again.
    RETRYABLE_STATUSES: tuple[str, ...]
    RETRY_LABEL = _("Retry")
    # Optional: where a record goes instead of failed when the last attempt's outcome is
    # unknown (errors.OutcomeUnknown), e.g. a provider call whose answer was lost.
    STATUS_UNKNOWN = ""

    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    next_retry_at = models.DateTimeField(_("next automatic retry"), null=True, blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    last_cause = models.CharField(_("cause"), max_length=16, choices=Cause.choices, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_details = models.JSONField(_("error details"), default=dict, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_failed(self) -> bool:
        return self.status == self.STATUS_FAILED  # type: ignore[attr-defined]

    @property
    def is_retrying(self) -> bool:
        return self.next_retry_at is not None

    @property
    def missing_fields(self) -> list[dict[str, str]]:
        return list(self.last_error_details.get("fields", []))

    @property
    def activity_label(self) -> str:
        return str(self)

    def explain_last_error(self):
        """What failed last, why and what to do, in the reader's language."""
        from .messages import explain

        return explain(
            process=self.PROCESS,
            cause=self.last_cause,
            details=self.last_error_details,
            record_label=str(self),
        )

    @property
    def explanation(self):
        """The last error explained while the record is failed or waiting for a retry."""
        return self.explain_last_error() if self.is_failed or self.is_retrying else None
