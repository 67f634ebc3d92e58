"""Incidents: failures grouped by what the user must act on, not one alert per record.

A failure joins the open incident of its organisation, process and grouping key (the
cause, plus the service for connectivity or the fields for missing data). An incident
counts the records it currently holds; it resolves itself when none is left, or, for a
connectivity incident, when its service answers again (see ``circuits``).
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationQuerySet


class Severity(models.TextChoices):
    # Ordered from the most to the least urgent (the bar lists them in this order).
    CRITICAL = "critical", _("Critical")
    ERROR = "error", _("Error")
    WARNING = "warning", _("Warning")


SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.ERROR: 1, Severity.WARNING: 2}


class IncidentQuerySet(OrganisationQuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)

    def visible_to(self, organisation_id: int | None):
        """An organisation's incidents and the platform's (organisation empty)."""
        if organisation_id is None:
            return self.filter(organisation__isnull=True)
        return self.filter(
            models.Q(organisation_id=organisation_id) | models.Q(organisation__isnull=True)
        )


class Incident(models.Model):
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty for an incident of the platform (a worker, the scheduler)."),
    )
    process = models.CharField(_("process"), max_length=32, blank=True)
    cause = models.CharField(_("cause"), max_length=16)
    # What groups failures: "connectivity:smtp", "missing_data:customer.siren", ...
    key = models.CharField(_("grouping key"), max_length=255)
    service = models.CharField(_("service"), max_length=32, blank=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    # What the headline needs (fields, service, last remote error), rendered in the
    # reader's language when shown.
    details = models.JSONField(_("details"), default=dict, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last failure"), default=timezone.now)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    affected = models.IntegerField(_("records affected"), default=0)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when it resolved itself."),
    )
    notified_at = models.DateTimeField(_("admins notified at"), null=True, blank=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-opened_at", "-id"]
        constraints = [
            # Failures of the same kind join the one open incident of their kind.
            models.UniqueConstraint(
                fields=["organisation", "process", "key"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_incident_per_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["organisation", "severity"],
                condition=models.Q(resolved_at__isnull=True),
                name="incident_open_by_org",
            )
        ]

    def __str__(self) -> str:
        return str(self.headline)

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def headline(self) -> str:
        from .phrasing import headline

        return headline(self)

    @property
    def advice(self) -> str:
        from .phrasing import advice

        return advice(self)


class IncidentRecord(models.Model):
    """A record held by an incident; ``left_at`` is set when it succeeded or moved on."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="members")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    record_label = models.CharField(_("record"), max_length=120)
    record_url = models.CharField(max_length=300, blank=True)
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("record of an incident")
        verbose_name_plural = _("records of incidents")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "content_type", "object_id"], name="one_membership"
            )
        ]
        indexes = [
            models.Index(
                fields=["content_type", "object_id"],
                condition=models.Q(left_at__isnull=True),
                name="incident_member_current",
            )
        ]

    def __str__(self) -> str:
        return self.record_label


class Circuit(models.Model):
    """The circuit breaker of one service as an organisation uses it (its SMTP server,
    its payment provider). Open: the service does not answer, its tasks wait (see
    ``CircuitWait``) instead of burning their retries; the health probe closes it."""

    class State(models.TextChoices):
        CLOSED = "closed", _("Answering")
        OPEN = "open", _("Not answering")

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="+"
    )
    service = models.CharField(_("service"), max_length=32)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.CLOSED)
    opened_at = models.DateTimeField(_("down since"), null=True, blank=True)
    closed_at = models.DateTimeField(_("back since"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_probe_at = models.DateTimeField(_("last probe"), null=True, blank=True)
    last_probe_error = models.TextField(_("last probe error"), blank=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("circuit breaker")
        verbose_name_plural = _("circuit breakers")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "service"], name="one_circuit")
        ]

    def __str__(self) -> str:
        return f"{self.service} ({self.organisation_id}): {self.state}"


class CircuitWait(models.Model):
    """A record whose task waits for its service's circuit to close."""

    circuit = models.ForeignKey(Circuit, on_delete=models.CASCADE, related_name="waits")
    process = models.CharField(max_length=32)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    task_id = models.CharField(max_length=64)
    since = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("task waiting for a service")
        verbose_name_plural = _("tasks waiting for a service")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id"], name="one_wait")
        ]

    def __str__(self) -> str:
        return f"{self.process} #{self.object_id} waiting for {self.circuit_id}"


class Heartbeat(models.Model):
    """The last sign of life of a worker or of the scheduler."""

    class Kind(models.TextChoices):
        WORKER = "worker", _("Worker")
        SCHEDULER = "scheduler", _("Scheduler")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last heartbeat"), default=timezone.now)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="one_heartbeat")]

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"
