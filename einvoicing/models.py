import secrets

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organisation
from activity.choices import Cause
from activity.models import TrackedQuerySet, TrackedRecord
from commbilling.secrets import SecretField
from invoices.models import Invoice
from refunds.models import CreditNote


class PlatformSettings(models.Model):
    """Where an organisation's e-invoices go: its plateforme agréée (PA)."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="platform_settings"
    )
    enabled = models.BooleanField(
        _("transmit invoices to the platform"),
        default=False,
        help_text=_(
            "Mandatory for issuing from 1 September 2026 (large and mid-size companies) or "
            "1 September 2027 (SMEs and micro-enterprises)."
        ),
    )
    base_url = models.URLField(
        _("platform API base URL"),
        blank=True,
        help_text=_("The approved platform's API, e.g. https://api.platform.example/"),
    )
    # Secrets: encrypted at rest (commbilling/secrets.py), never shown back (forms.py).
    api_key = SecretField(_("platform API key"), max_length=200, blank=True)
    webhook_secret = SecretField(
        _("webhook signing secret"),
        max_length=100,
        blank=True,
        help_text=_("Shared with the platform: it signs the status notifications it sends."),
    )
    seller_electronic_address = models.CharField(
        _("seller electronic address"),
        max_length=100,
        blank=True,
        help_text=_("Your address in the e-invoicing directory; empty means your SIREN."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("e-invoicing platform settings")
        verbose_name_plural = _("e-invoicing platform settings")

    def __str__(self) -> str:
        return str(self.organisation)

    def get_absolute_url(self) -> str:
        return reverse("einvoicing:settings")

    @classmethod
    def for_organisation(cls, organisation: Organisation) -> "PlatformSettings":
        try:
            # Read with the organisation when it was (a generation reads it with the
            # invoice, Invoice.objects.for_generation), else cached once read.
            return organisation.platform_settings
        except cls.DoesNotExist:
            pass
        found, _ = cls.objects.get_or_create(
            organisation=organisation, defaults={"webhook_secret": secrets.token_urlsafe(32)}
        )
        return found


class Lifecycle(models.TextChoices):
    """AFNOR XP Z12-012 life-cycle statuses (code, French label)."""

    DEPOSITED = "200", pgettext_lazy("e-invoice", "Deposited")
    ISSUED = "201", pgettext_lazy("e-invoice", "Issued by the platform")
    RECEIVED = "202", pgettext_lazy("e-invoice", "Received by the platform")
    MADE_AVAILABLE = "203", pgettext_lazy("e-invoice", "Made available")
    TAKEN_OVER = "204", pgettext_lazy("e-invoice", "Taken over")
    APPROVED = "205", pgettext_lazy("e-invoice", "Approved")
    PARTLY_APPROVED = "206", pgettext_lazy("e-invoice", "Partly approved")
    DISPUTED = "207", pgettext_lazy("e-invoice", "In dispute")
    SUSPENDED = "208", pgettext_lazy("e-invoice", "Suspended")
    COMPLETED = "209", pgettext_lazy("e-invoice", "Completed")
    REFUSED = "210", pgettext_lazy("e-invoice", "Refused")
    PAYMENT_SENT = "211", pgettext_lazy("e-invoice", "Payment sent")
    COLLECTED = "212", pgettext_lazy("e-invoice", "Collected")
    REJECTED = "213", pgettext_lazy("e-invoice", "Rejected")
    CERTIFIED = "214", pgettext_lazy("e-invoice", "Certified")
    CANCELLED = "220", pgettext_lazy("e-invoice", "Cancelled")
    ROUTING_ERROR = "221", pgettext_lazy("e-invoice", "Routing error")


# The platform did not take the flow: the invoice is deemed never issued.
REJECTIONS = ("213", "221")
# Statuses after which the platform reports nothing more for a flow.
FINAL_LIFECYCLE = {"210", "212", "213", "220", "221"}


class EInvoiceQuerySet(TrackedQuerySet):
    def for_labels(self) -> "EInvoiceQuerySet":
        return self.select_related("invoice", "credit_note")

    def matching(self, text: str) -> "EInvoiceQuerySet":
        number = text.strip().upper()
        return self.filter(models.Q(invoice__number=number) | models.Q(credit_note__number=number))

    def to_poll(self):
        """Deposited flows whose life cycle may still move (the webhook's fallback)."""
        return self.filter(status=EInvoice.Status.DEPOSITED).exclude(lifecycle__in=FINAL_LIFECYCLE)

    def unknown(self):
        return self.filter(status=EInvoice.Status.UNKNOWN)


class EInvoice(TrackedRecord):
    """The transmission of one invoice, or one credit note, to the organisation's platform.

    A credit note to a French business is an e-invoice too (type 381, referring to the
    invoice it corrects): each transmission is of exactly one of the two documents."""

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("e-invoice", "Queued")
        TRANSMITTING = "transmitting", pgettext_lazy("e-invoice", "Transmitting")
        DEPOSITED = "deposited", pgettext_lazy("e-invoice", "Deposited")
        REFUSED = "refused", pgettext_lazy("e-invoice", "Refused by the buyer")
        FAILED = "failed", pgettext_lazy("e-invoice", "Failed")
        UNKNOWN = "unknown", pgettext_lazy("e-invoice", "To be checked")

    STATUS_QUEUED = Status.QUEUED
    STATUS_RUNNING = Status.TRANSMITTING
    STATUS_FAILED = Status.FAILED
    STATUS_UNKNOWN = Status.UNKNOWN
    RETRYABLE_STATUSES = (Status.FAILED,)
    # Refused by the buyer: shown with its reason, never sent again (a credit note is).
    FAILURE_STATUSES = (Status.REFUSED,)
    LIVE_STATUSES = (Status.QUEUED, Status.TRANSMITTING)

    invoice = models.OneToOneField(
        Invoice,
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="einvoice",
        null=True,
        blank=True,
    )
    credit_note = models.OneToOneField(
        CreditNote,
        verbose_name=_("credit note"),
        on_delete=models.PROTECT,
        related_name="einvoice",
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    # Stable across attempts (seller SIREN + document number): the platform keeps one
    # accepted flow per tracking id, and a lost answer is looked up by it.
    tracking_id = models.CharField(_("tracking id"), max_length=64)
    flow_id = models.CharField(_("platform flow id"), max_length=64, blank=True)
    lifecycle = models.CharField(
        _("platform status"), max_length=3, choices=Lifecycle.choices, blank=True
    )
    lifecycle_at = models.DateTimeField(_("platform status date"), null=True, blank=True)
    # Written before the flow is sent: set means the platform may have it.
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    collected_sent_at = models.DateTimeField(_("“collected” sent at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EInvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("e-invoice transmission")
        verbose_name_plural = _("e-invoice transmissions")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "tracking_id"], name="einvoice_tracking_unique"
            ),
            # One document per transmission: an invoice or a credit note, never both.
            models.CheckConstraint(
                condition=models.Q(invoice__isnull=False, credit_note__isnull=True)
                | models.Q(invoice__isnull=True, credit_note__isnull=False),
                name="einvoice_one_document",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "lifecycle"], name="einvoice_org_life"),
            # The dashboard's blocking customers (failed for missing data).
            models.Index(
                fields=["organisation", "status"],
                condition=models.Q(last_cause=Cause.MISSING_DATA),
                name="einvoice_org_missing_data",
            ),
        ]

    def __str__(self) -> str:
        return str(self.document)

    def get_absolute_url(self) -> str:
        return self.document.get_absolute_url()

    @property
    def document(self) -> Invoice | CreditNote:
        """The invoice or the credit note this transmission sends."""
        document = self.invoice if self.invoice_id else self.credit_note
        assert document is not None  # einvoice_one_document
        return document

    @property
    def is_rejected(self) -> bool:
        return self.lifecycle in REJECTIONS


class FlowStatus(models.Model):
    """One life-cycle status of an e-invoice, as the platform reported it (timeline)."""

    class Source(models.TextChoices):
        SUBMISSION = "submission", _("Submission answer")
        WEBHOOK = "webhook", _("Notification")
        POLLING = "polling", _("Status check")
        SELLER = "seller", _("Sent by us")

    einvoice = models.ForeignKey(EInvoice, on_delete=models.CASCADE, related_name="statuses")
    code = models.CharField(_("status"), max_length=3, choices=Lifecycle.choices)
    reason_code = models.CharField(_("reason code"), max_length=40, blank=True)
    message = models.TextField(_("message"), blank=True)
    occurred_at = models.DateTimeField(_("date"))
    flow_id = models.CharField(_("platform flow id"), max_length=64, blank=True)
    # The platform's id of this status event: a notification replayed or also seen by
    # polling is stored once.
    event_id = models.CharField(max_length=80)
    source = models.CharField(max_length=12, choices=Source.choices)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("e-invoice status")
        verbose_name_plural = _("e-invoice statuses")
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["einvoice", "event_id"], name="flowstatus_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.get_code_display()}"
