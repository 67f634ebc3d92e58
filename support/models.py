import uuid
from datetime import datetime, timedelta
from pathlib import PurePath

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationQuerySet
from activity.models import ActivityLog

from .calendar import add_business_hours, business_time_between, get_calendar


def deadline_budget() -> timedelta:
    return timedelta(hours=settings.SUPPORT_DEADLINE_HOURS)


class TicketQuerySet(OrganisationQuerySet):
    def running(self):
        """Tickets whose clock runs: the ball is in support's court."""
        return self.filter(status__in=Ticket.RUNNING_STATUSES)

    def overdue(self, now: datetime | None = None):
        return self.running().filter(due_at__lt=now or timezone.now())

    def breached(self, now: datetime | None = None):
        return self.filter(
            Q(breached_at__isnull=False)
            | Q(status__in=Ticket.RUNNING_STATUSES, due_at__lt=now or timezone.now())
        )

    def at_risk(self, now: datetime | None = None):
        """Running, not yet late, with less than SUPPORT_AT_RISK_HOURS of business time left.

        Adding business time is monotonic, so "remaining < N business hours" is exactly
        "due before now + N business hours": the filter stays in the database.
        """
        now = now or timezone.now()
        limit = add_business_hours(now, settings.SUPPORT_AT_RISK_HOURS, get_calendar())
        return self.running().filter(due_at__gte=now, due_at__lt=limit)


def shown_context(context: dict) -> dict:
    """A ticket's failure context as its reader sees it: the process and cause labels and
    the cause's explanation in the reader's language, not the words stored when the ticket
    was opened (``message`` keeps the technical text, for support staff)."""
    from activity import processes
    from activity.choices import Cause
    from activity.messages import explain

    shown = dict(context)
    process = str(context.get("process") or "")
    if process:
        shown["process_label"] = processes.label_of(process)
    cause = str(context.get("cause") or "")
    if cause:
        shown["cause_label"] = str(dict(Cause.choices).get(cause, cause))
        if isinstance(context.get("details"), dict) and context["details"]:
            shown["explanation"] = explain(
                process=process,
                cause=cause,
                details=context["details"],
                record_label=str(context.get("record_label") or ""),
            ).why
    return shown


class Ticket(models.Model):
    class Category(models.TextChoices):
        BILLING = "billing", _("Billing")
        EMAILS = "emails", _("E-mails")
        REFUNDS = "refunds", _("Refunds")
        ACCOUNT = "account", _("Account")
        OTHER = "other", _("Other")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING = "waiting", _("Waiting for the customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    # The deadline clock runs in these statuses, pauses while waiting for the customer
    # and stops once resolved or closed (a customer reply reopens and resumes it).
    RUNNING_STATUSES = (Status.OPEN, Status.IN_PROGRESS)
    REOPENED_BY_REPLY = (Status.WAITING, Status.RESOLVED, Status.CLOSED)

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="support_tickets",
    )
    subject = models.CharField(_("subject"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    description = models.TextField(_("description"))
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    created_at = models.DateTimeField(_("opened at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The deadline clock: business time used before the running segment that began at
    # clock_started_at. due_at is stored (sortable, filterable) and empty while paused.
    due_at = models.DateTimeField(_("answer deadline"), null=True, blank=True)
    clock_started_at = models.DateTimeField(_("clock running since"), null=True, blank=True)
    business_time_consumed = models.DurationField(_("business time used"), default=timedelta(0))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("deadline missed at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # What the help button knew: process, record label and URL, cause, message, log id.
    context = models.JSONField(_("context"), default=dict, blank=True)
    content_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("record type"),
    )
    object_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("record id"))
    record = GenericForeignKey("content_type", "object_id")
    activity = models.ForeignKey(
        ActivityLog,
        verbose_name=_("log entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["organisation", "requester", "-created_at"], name="ticket_req"),
            models.Index(fields=["status", "due_at"], name="ticket_queue"),
            models.Index(fields=["due_at"], name="ticket_due", condition=Q(breached_at=None)),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("support:ticket", args=[self.pk])

    def get_staff_url(self) -> str:
        return reverse("support:manage", args=[self.pk])

    @property
    def shown_context(self) -> dict:
        return shown_context(self.context or {})

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING_STATUSES

    @property
    def is_paused(self) -> bool:
        return self.status == self.Status.WAITING

    def remaining(self, now: datetime | None = None) -> timedelta:
        """Business time left before the deadline (negative once overdue)."""
        used = self.business_time_consumed
        if self.clock_started_at is not None:
            used += business_time_between(
                self.clock_started_at, now or timezone.now(), get_calendar()
            )
        return deadline_budget() - used

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.due_at is not None and self.due_at < (now or timezone.now())

    def is_at_risk(self, now: datetime | None = None) -> bool:
        if not self.is_running or self.is_overdue(now):
            return False
        return self.remaining(now) < timedelta(hours=settings.SUPPORT_AT_RISK_HOURS)

    # --- The clock. Single-row changes; callers save. -------------------------------

    def start_clock(self, now: datetime) -> None:
        if self.clock_started_at is not None:
            return
        self.clock_started_at = now
        left = max(deadline_budget() - self.business_time_consumed, timedelta(0))
        self.due_at = add_business_hours(now, left, get_calendar())

    def stop_clock(self, now: datetime) -> None:
        if self.clock_started_at is None:
            return
        self.business_time_consumed += business_time_between(
            self.clock_started_at, now, get_calendar()
        )
        self.clock_started_at = None
        self.due_at = None

    def set_status(self, status: str, now: datetime | None = None) -> None:
        """Move to ``status``; the clock runs, pauses or stops with it."""
        now = now or timezone.now()
        self.status = status
        if status in self.RUNNING_STATUSES:
            self.start_clock(now)
        else:
            self.stop_clock(now)
        if status in (self.Status.RESOLVED, self.Status.CLOSED):
            self.resolved_at = self.resolved_at or now
        else:
            self.resolved_at = None

    def reopen(self, now: datetime | None = None) -> bool:
        if self.status not in self.REOPENED_BY_REPLY:
            return False
        self.set_status(self.Status.IN_PROGRESS if self.assignee_id else self.Status.OPEN, now)
        return True


class TicketMessage(models.Model):
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="messages", verbose_name=_("ticket")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT
    )
    body = models.TextField(_("message"))
    is_internal = models.BooleanField(
        _("internal note"), default=False, help_text=_("Never shown to the customer.")
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")

    def __str__(self) -> str:
        kind = _("Internal note") if self.is_internal else _("Reply")
        return f"{kind} — {self.ticket}"


def attachment_path(instance: "TicketAttachment", filename: str) -> str:
    # A random folder per file: the original name is kept for the download only.
    return f"support/{instance.ticket_id}/{uuid.uuid4().hex}/{PurePath(filename).name}"


class TicketAttachment(models.Model):
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ticket")
    )
    message = models.ForeignKey(
        TicketMessage,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("message"),
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("uploaded at"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("support:attachment", args=[self.pk])
