from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from activity.choices import Cause
from activity.models import TrackedQuerySet, TrackedRecord


class EmailMessageQuerySet(TrackedQuerySet):
    def for_labels(self) -> "EmailMessageQuerySet":
        return self.select_related("invoice")

    def visible_to(self, user: Any) -> "EmailMessageQuerySet":
        """What ``user`` may read in the journal. A support reply is as private as its
        ticket, which only its requester and support staff see (support.views): of those,
        an accountant sees the ones sent to them."""
        if user.has_perm("accounts.work_support_queue"):
            return self
        others = Q(kind=EmailMessage.Kind.SUPPORT) & ~Q(recipient=(user.email or "").lower())
        return self.exclude(others)

    def matching(self, text: str) -> "EmailMessageQuerySet":
        text = text.strip()
        if "@" in text:
            return self.filter(recipient=text.lower())
        return self.filter(invoice__number=text.upper())


class EmailMessage(TrackedRecord):
    """One outgoing e-mail: what was rendered, to whom, and what the server answered.

    ``message_id`` is fixed at creation and sent as the Message-ID header on every
    attempt, so that a message re-sent after a worker died is recognisable downstream.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", pgettext_lazy("e-mail status", "Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", pgettext_lazy("e-mail status", "Failed")
        BOUNCED = "bounced", _("Bounced")
        # A reminder whose invoice was paid (or cancelled) before it left: never sent.
        CANCELLED = "cancelled", pgettext_lazy("e-mail status", "Not sent (paid)")

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        REMINDER = "reminder", _("Payment reminder")
        CREDIT_NOTE = "credit", _("Credit note")
        SUPPORT = "support", _("Support reply")
        OTHER = "other", _("Other")

    STATUS_QUEUED = Status.QUEUED
    STATUS_RUNNING = Status.SENDING
    STATUS_FAILED = Status.FAILED
    RETRYABLE_STATUSES = (Status.FAILED, Status.BOUNCED)
    FAILURE_STATUSES = (Status.FAILED, Status.BOUNCED)
    ACCEPTED_STATUSES = (Status.SENT, Status.DELIVERED)

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OTHER)
    # When set, the recipient is the customer's billing e-mail read at each attempt, so
    # that completing the customer and clicking Resend is enough.
    customer = models.ForeignKey(
        "invoices.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    # First recipient, lower-cased: what the journal searches (indexed).
    recipient = models.CharField(_("recipient"), max_length=254, blank=True)
    from_email = models.CharField(_("from"), max_length=300, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text body"), blank=True)
    body_html = models.TextField(_("HTML body"), blank=True)
    template = models.CharField(_("template"), max_length=100)
    language = models.CharField(_("language"), max_length=8, default="fr")
    invoice = models.ForeignKey(
        "invoices.Invoice",
        verbose_name=_("invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="emails",
    )
    # Attaches the PDF of the document the message is about: the related record when
    # there is one (a credit note), else the invoice.
    attach_pdf = models.BooleanField(_("attach the PDF"), default=False)
    reminder_step = models.PositiveSmallIntegerField(
        _("reminder (days overdue)"), null=True, blank=True
    )
    # Any other record the message is about (a refund, a support ticket).
    related_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("related record type"),
    )
    related_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("related record id"))
    related = GenericForeignKey("related_type", "related_id")
    # Makes an automatic message idempotent ("invoice:12:auto"); NULL for explicit sends.
    idempotency_key = models.CharField(  # noqa: DJ001
        max_length=100, null=True, blank=True, verbose_name=_("idempotency key")
    )
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True, editable=False)
    provider_message_id = models.CharField(_("provider message id"), max_length=255, blank=True)
    smtp_code = models.PositiveSmallIntegerField(_("server reply code"), null=True, blank=True)
    smtp_reply = models.TextField(_("server reply"), blank=True)
    sent_at = models.DateTimeField(_("accepted by the server at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    complained_at = models.DateTimeField(_("marked as spam at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = EmailMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "reminder_step"],
                condition=Q(reminder_step__isnull=False),
                name="one_reminder_per_invoice_step",
            ),
            models.UniqueConstraint(
                fields=["organisation", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="email_idempotency_key_unique",
            ),
        ]
        # The journal is read newest first by id (keyset pagination), per organisation.
        indexes = [
            models.Index(fields=["organisation", "-id"], name="email_org_id"),
            models.Index(fields=["organisation", "status", "-id"], name="email_org_status"),
            models.Index(fields=["organisation", "recipient", "-id"], name="email_org_recipient"),
            models.Index(fields=["status", "queued_at"], name="email_status_queued"),
            # The dashboard's blocking customers: failed for missing data, however many
            # bounced or failed messages the journal keeps.
            models.Index(
                fields=["organisation", "status"],
                condition=Q(last_cause=Cause.MISSING_DATA),
                name="email_org_missing_data",
            ),
            models.Index(
                fields=["provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="email_provider_id",
            ),
        ]

    def __str__(self) -> str:
        label = _("Reminder") if self.kind == self.Kind.REMINDER else _("E-mail")
        invoice = self.invoice if self.invoice_id else None
        reference = invoice.number if invoice is not None else None
        return f"{label} {reference or f'#{self.pk}'} → {self.recipient or '?'}"

    def get_absolute_url(self) -> str:
        return reverse("emails:detail", args=[self.pk])

    @property
    def is_accepted(self) -> bool:
        return self.sent_at is not None or self.status in self.ACCEPTED_STATUSES

    @property
    def document(self) -> Any:
        """The record whose ``pdf`` (a FileField) is attached, named by its ``number``:
        an Invoice or a CreditNote, or None."""
        if not self.attach_pdf:
            return None
        return self.related if self.related_type_id else self.invoice

    @property
    def attachment_names(self) -> list[str]:
        document = self.document
        number = getattr(document, "number", "")
        return [f"{number}.pdf"] if number else []


class EmailAttempt(models.Model):
    """One conversation with the mail server, recorded before it starts."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("In progress or interrupted")
        ACCEPTED = "accepted", _("Accepted")
        FAILED = "failed", pgettext_lazy("e-mail status", "Failed")

    message = models.ForeignKey(
        EmailMessage, on_delete=models.CASCADE, related_name="tries", verbose_name=_("e-mail")
    )
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING
    )
    server = models.CharField(_("server"), max_length=300, blank=True)
    code = models.PositiveSmallIntegerField(_("reply code"), null=True, blank=True)
    reply = models.TextField(_("reply"), blank=True)
    worker = models.CharField(_("worker"), max_length=120, blank=True)

    class Meta:
        ordering = ["message", "id"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"{self.message_id} #{self.number}: {self.outcome}"
