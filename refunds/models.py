import uuid

from django.conf import settings
from django.db import connection, models, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import CompanySettings, Organisation, OrganisationQuerySet
from activity.choices import Cause
from activity.errors import AutomationError
from activity.models import TrackedQuerySet, TrackedRecord
from invoices.models import (
    ZERO,
    FrozenDocumentError,
    Invoice,
    InvoiceLine,
    LineAmounts,
    VatCategory,
)


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
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

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
            # The dashboard's blocking customers (failed for missing data).
            models.Index(
                fields=["organisation", "status"],
                condition=models.Q(last_cause=Cause.MISSING_DATA),
                name="refund_org_missing_data",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive")
        ]

    @property
    def provider_label(self) -> str:
        """The provider as the company settings name it ("Manual bank transfer"), not its code."""
        choices = dict(CompanySettings.PaymentProvider.choices)
        return str(choices.get(self.provider, self.provider))

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


class CreditNoteQuerySet(OrganisationQuerySet):
    def update(self, **kwargs):
        if set(kwargs) - CreditNote.BOOKKEEPING_FIELDS:
            raise FrozenDocumentError("An issued credit note cannot change.")
        return super().update(**kwargs)

    def delete(self):
        raise FrozenDocumentError("An issued credit note cannot be deleted.")

    def retake_parties(self, credit_note: "CreditNote", *, seller: dict, buyer: dict) -> bool:
        """The one exception to the freeze, for ``credit_notes.retake_parties`` only:
        replace the parties' snapshot of an issued credit note nobody received. On
        PostgreSQL the trigger lets ``seller`` and ``buyer`` change while this statement
        runs, no longer (migration 0005)."""
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('refunds.retaking_parties', 'on', true)")
            rows = models.QuerySet.update(
                self.filter(pk=credit_note.pk), seller=seller, buyer=buyer
            )
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('refunds.retaking_parties', 'off', true)")
        return bool(rows)


class CreditNote(models.Model):
    """The avoir, numbered in its own gapless series (AV-): it corrects or cancels an
    issued invoice, in full or in part, with a reason, or records a refund. Issued once,
    it never changes (only its PDF path is written after it is rendered)."""

    class Kind(models.TextChoices):
        CANCELLATION = "cancellation", _("Cancellation of the invoice")
        PARTIAL = "partial", _("Partial credit note")
        REFUND = "refund", _("Refund")

    BOOKKEEPING_FIELDS = frozenset({"pdf"})

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    number = models.CharField(_("number"), max_length=32, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.REFUND)
    refund = models.OneToOneField(
        Refund,
        verbose_name=_("refund"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_note",
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="credit_notes"
    )
    reason = models.TextField(_("reason"), blank=True)
    amount = models.DecimalField(_("total incl. VAT"), max_digits=14, decimal_places=2)
    total_excl_vat = models.DecimalField(
        _("total excl. VAT"), max_digits=14, decimal_places=2, default=ZERO
    )
    total_vat = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2, default=ZERO)
    # [{"category": "S", "rate": "20.00", "base": "100.00", "vat": "20.00", "total": "120.00"}]
    vat_breakdown = models.JSONField(_("VAT per rate"), default=list)
    seller = models.JSONField(_("seller at issue"), default=dict, blank=True)
    buyer = models.JSONField(_("buyer at issue"), default=dict, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="credit_notes/", blank=True, max_length=200)
    issued_at = models.DateTimeField(_("issued at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = CreditNoteQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="credit_note_number_unique_per_org"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="credit_note_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs) -> None:
        issued_state = getattr(self, "_issued_state", None)
        if issued_state:
            changed = [k for k, v in issued_state.items() if self.__dict__.get(k) != v]
            if changed:
                raise FrozenDocumentError(
                    f"Credit note {self.number} is issued: {', '.join(changed)} cannot change."
                )
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        refund = self.refund
        return refund.get_absolute_url() if refund is not None else self.invoice.get_absolute_url()

    def delete(self, *args, **kwargs):
        raise FrozenDocumentError(f"Credit note {self.number} is issued: it cannot be deleted.")

    @classmethod
    def from_db(cls, db, field_names, values, *, fetch_mode=None):
        instance = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        instance._issued_state = {
            f.attname: instance.__dict__[f.attname]
            for f in cls._meta.concrete_fields
            if f.name not in cls.BOOKKEEPING_FIELDS and f.attname in instance.__dict__
        }
        return instance


class CreditNoteLine(LineAmounts, models.Model):
    """What a correction credits, line by line (amounts positive, printed negative)."""

    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, related_name="lines")
    invoice_line = models.ForeignKey(
        InvoiceLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("unit price excl. VAT"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    vat_category = models.CharField(
        _("VAT category"), max_length=2, choices=VatCategory.choices, default=VatCategory.STANDARD
    )
    vat_exemption_reason = models.CharField(_("VAT exemption reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("credit note line")
        verbose_name_plural = _("credit note lines")

    def __str__(self) -> str:
        return self.description

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise FrozenDocumentError("Lines of an issued credit note cannot change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise FrozenDocumentError("Lines of an issued credit note cannot be deleted.")
