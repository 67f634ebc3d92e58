import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organisation, OrganisationQuerySet
from activity.errors import AutomationError
from activity.models import TrackedQuerySet, TrackedRecord
from invoices.models import ZERO, Invoice


class RefundQuerySet(TrackedQuerySet):
    def matching(self, text: str) -> "RefundQuerySet":
        text = text.strip().upper()
        if text.startswith("REMB-") and text[5:].isdigit():
            return self.filter(pk=int(text[5:]))
        return self.filter(invoice__number=text)

    def unknown(self):
        return self.filter(status=Refund.Status.UNKNOWN)

    def holding_amount(self):
        """Refunds whose amount is taken from the invoice's refundable balance: all but
        cancelled ones (refunded ones are also in invoice.amount_refunded)."""
        return self.exclude(status__in=[Refund.Status.CANCELLED, Refund.Status.REFUNDED])


class Refund(TrackedRecord):
    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("Pending approval")
        REQUESTED = "requested", _("Requested")
        PROCESSING = "processing", _("Processing")
        UNKNOWN = "unknown", _("To be checked")
        AWAITING_TRANSFER = "awaiting_transfer", _("Awaiting bank transfer")
        REFUNDED = "refunded", _("Refunded")
        FAILED = "failed", pgettext_lazy("refund status", "Failed")
        CANCELLED = "cancelled", _("Cancelled")

    STATUS_QUEUED = Status.REQUESTED
    STATUS_RUNNING = Status.PROCESSING
    STATUS_FAILED = Status.FAILED
    STATUS_UNKNOWN = Status.UNKNOWN
    # Never UNKNOWN: the provider may have refunded already; it is reconciled first.
    RETRYABLE_STATUSES = (Status.FAILED,)

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="refunds"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    provider = models.CharField(_("provider"), max_length=20, blank=True)
    # Fixed at creation: every call to the provider for this refund carries it.
    idempotency_key = models.UUIDField(
        _("idempotency key"), default=uuid.uuid4, unique=True, editable=False
    )
    provider_refund_id = models.CharField(_("provider refund id"), max_length=100, blank=True)
    # Set before the first call to the provider: from then on the refund may exist there,
    # so any later attempt looks it up before sending anything.
    sent_at = models.DateTimeField(_("sent to the provider at"), null=True, blank=True)
    provider_responses = models.JSONField(_("provider responses"), default=list, blank=True)
    transfer_details = models.JSONField(_("transfer details"), default=dict, blank=True)
    executed_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RefundQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        permissions = [("approve_refund", _("Can approve refunds above the threshold"))]
        indexes = [
            models.Index(fields=["organisation", "-id"], name="refund_org_id"),
            models.Index(fields=["organisation", "status", "-id"], name="refund_org_status"),
            models.Index(fields=["status", "queued_at"], name="refund_status_queued"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive")
        ]

    def __str__(self) -> str:
        return _("Refund #%(pk)s") % {"pk": self.pk}

    def get_absolute_url(self) -> str:
        return reverse("refunds:detail", args=[self.pk])

    # Set in a failure's details when the provider itself answered the attempt (a refusal,
    # an authentication error) after making sure no earlier attempt had made the refund.
    PROVIDER_ANSWERED = "provider_answered"

    def failure_status(self, error: AutomationError) -> str:
        # Once its sending time is recorded the refund may exist at the provider, whatever
        # the last attempt died of (a lost answer, a killed worker, a setting removed
        # since): only the provider can tell, and reconciliation asks it.
        if self.sent_at is not None and not error.details.get(self.PROVIDER_ANSWERED):
            return self.Status.UNKNOWN
        return super().failure_status(error)

    @property
    def reference(self) -> str:
        return f"REMB-{self.pk:06d}"

    def log_response(self, *, operation: str, status: int | None, body: object) -> None:
        """Keep what the provider answered, attempt by attempt (shown on the detail page)."""
        from django.utils import timezone

        self.provider_responses = [
            *self.provider_responses,
            {
                "attempt": self.attempts,
                "at": timezone.now().isoformat(),
                "operation": operation,
                "status": status,
                "body": body,
            },
        ]
        Refund.objects.filter(pk=self.pk).update(provider_responses=self.provider_responses)


class CreditNote(models.Model):
    """The avoir: numbered in its own gapless series, issued when the refund is done."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("number"), max_length=32, editable=False)
    refund = models.OneToOneField(
        Refund, verbose_name=_("refund"), on_delete=models.PROTECT, related_name="credit_note"
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="credit_notes"
    )
    amount = models.DecimalField(_("total incl. VAT"), max_digits=14, decimal_places=2)
    total_excl_vat = models.DecimalField(
        _("total excl. VAT"), max_digits=14, decimal_places=2, default=ZERO
    )
    total_vat = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2, default=ZERO)
    # [{"rate": "20.00", "base": "100.00", "vat": "20.00", "total": "120.00"}, ...]
    vat_breakdown = models.JSONField(_("VAT per rate"), default=list)
    pdf = models.FileField(_("PDF"), upload_to="credit_notes/", blank=True, max_length=200)
    issued_at = models.DateTimeField(_("issued at"))

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="credit_note_number_unique_per_org"
            )
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return self.refund.get_absolute_url()
