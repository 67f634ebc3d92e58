from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.history import AuditTrail
from accounts.models import Organisation, OrganisationQuerySet
from invoices.models import Invoice


class PaymentQuerySet(OrganisationQuerySet):
    def active(self):
        return self.filter(cancelled_at__isnull=True)


class Payment(models.Model):
    """Money received for an invoice. Never deleted: a mistake is cancelled, with who,
    when and why, and the invoice's amounts and status follow."""

    class Method(models.TextChoices):
        TRANSFER = "transfer", _("Bank transfer")
        CHEQUE = "cheque", _("Cheque")
        CARD = "card", _("Card")
        DIRECT_DEBIT = "direct_debit", _("Direct debit")
        CASH = "cash", _("Cash")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="payments"
    )
    date = models.DateField(_("payment date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    method = models.CharField(
        _("method"), max_length=12, choices=Method.choices, default=Method.TRANSFER
    )
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    statement_line = models.OneToOneField(
        "payments.BankStatementLine",
        verbose_name=_("bank statement line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)

    objects = PaymentQuerySet.as_manager()
    history = AuditTrail()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")
        ]
        indexes = [models.Index(fields=["organisation", "-date", "-id"], name="payment_org_date")]

    def __str__(self) -> str:
        return _("Payment #%(pk)s") % {"pk": self.pk}

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class BankStatement(models.Model):
    """One imported bank statement file (CAMT.053 or CSV)."""

    class Format(models.TextChoices):
        CAMT053 = "camt053", _("CAMT.053 (XML)")
        CSV = "csv", _("CSV")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    filename = models.CharField(_("file"), max_length=200)
    source_format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    skipped_lines = models.PositiveIntegerField(
        _("lines skipped"), default=0, help_text=_("Debits and lines imported before.")
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")

    def __str__(self) -> str:
        return self.filename


class BankStatementLine(models.Model):
    """A credit on the account, with the invoice it seems to pay (to confirm)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Match proposed")
        UNMATCHED = "unmatched", _("Unmatched")
        CONFIRMED = "confirmed", _("Confirmed")
        IGNORED = "ignored", _("Ignored")

    class MatchedBy(models.TextChoices):
        NUMBER = "number", _("invoice number in the remittance text")
        REFERENCE = "reference", _("payment reference in the remittance text")
        AMOUNT = "amount", _("amount only")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    statement = models.ForeignKey(
        BankStatement, on_delete=models.PROTECT, related_name="lines", verbose_name=_("statement")
    )
    booking_date = models.DateField(_("booking date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    remittance = models.TextField(_("remittance information"), blank=True)
    counterparty = models.CharField(_("debtor"), max_length=200, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=140, blank=True)
    # The same credit imported twice (two files covering the same days) is one line.
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UNMATCHED
    )
    proposed_invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("proposed invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    matched_by = models.CharField(
        _("matched by"), max_length=10, choices=MatchedBy.choices, blank=True
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["booking_date", "id"]
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "fingerprint"], name="statement_line_once_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount} {self.remittance[:40]}"
