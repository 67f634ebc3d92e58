from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import validators
from accounts.models import Organisation, OrganisationQuerySet
from activity.models import TrackedQuerySet, TrackedRecord

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_money(value: Decimal) -> Decimal:
    """Half-up to the cent, as French invoicing practice expects (never banker's rounding)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Customer(models.Model):
    class Type(models.TextChoices):
        BUSINESS = "business", _("Business")
        INDIVIDUAL = "individual", _("Individual")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    customer_type = models.CharField(
        _("customer type"), max_length=12, choices=Type.choices, default=Type.BUSINESS
    )
    legal_name = models.CharField(_("legal name"), max_length=200)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    email = models.EmailField(_("billing e-mail"), blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR", blank=True)
    siren = models.CharField(
        _("SIREN"), max_length=11, blank=True, validators=[validators.validate_siren]
    )
    siret = models.CharField(
        _("SIRET"), max_length=17, blank=True, validators=[validators.validate_siret]
    )
    vat_number = models.CharField(
        _("VAT number"), max_length=20, blank=True, validators=[validators.validate_vat]
    )
    payment_reference = models.CharField(
        _("payment reference"),
        max_length=100,
        blank=True,
        help_text=_("Bank mandate or payment-provider customer reference."),
    )
    language = models.CharField(
        _("language"), max_length=2, choices=settings.LANGUAGES, default="fr"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["legal_name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [models.Index(fields=["organisation", "legal_name"], name="customer_org_name")]

    def __str__(self) -> str:
        return self.legal_name

    def get_absolute_url(self) -> str:
        return reverse("invoices:customer_edit", args=[self.pk])

    @property
    def is_business(self) -> bool:
        return self.customer_type == self.Type.BUSINESS


class InvoiceQuerySet(TrackedQuerySet):
    def matching(self, text: str) -> "InvoiceQuerySet":
        return self.filter(number=text.strip().upper())


class Invoice(TrackedRecord):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        QUEUED = "queued", _("Queued")
        GENERATING = "generating", _("Generating")
        GENERATED = "generated", _("Generated")
        SENT = "sent", _("Sent")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")

    STATUS_QUEUED = Status.QUEUED
    STATUS_RUNNING = Status.GENERATING
    STATUS_FAILED = Status.FAILED
    RETRYABLE_STATUSES = (Status.FAILED,)

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="invoices"
    )
    # NULL until issued: drafts must not collide in the unique (organisation, number).
    number = models.CharField(  # noqa: DJ001
        _("number"), max_length=32, null=True, blank=True, editable=False
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    total_excl_vat = models.DecimalField(
        _("total excl. VAT"), max_digits=14, decimal_places=2, default=ZERO
    )
    total_vat = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2, default=ZERO)
    total_incl_vat = models.DecimalField(
        _("total incl. VAT"), max_digits=14, decimal_places=2, default=ZERO
    )
    amount_paid = models.DecimalField(
        _("amount paid"), max_digits=14, decimal_places=2, default=ZERO
    )
    amount_refunded = models.DecimalField(
        _("amount refunded"), max_digits=14, decimal_places=2, default=ZERO
    )
    payment_reference = models.CharField(
        _("payment reference"),
        max_length=100,
        blank=True,
        help_text=_("Provider payment id (e.g. Stripe payment intent) for card payments."),
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="invoices/", blank=True, max_length=200)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="invoice_number_unique_per_org"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "-created_at", "-id"], name="invoice_org_created"),
            models.Index(
                fields=["organisation", "status", "-created_at", "-id"], name="invoice_org_status"
            ),
            models.Index(fields=["organisation", "number"], name="invoice_org_number"),
            models.Index(fields=["status", "queued_at"], name="invoice_status_queued"),
        ]

    def __str__(self) -> str:
        return self.number or self.draft_label

    @property
    def draft_label(self) -> str:
        return _("Draft #%(pk)s") % {"pk": self.pk}

    def names(self) -> list[str]:
        return [str(self), self.draft_label]

    def get_absolute_url(self) -> str:
        return reverse("invoices:detail", args=[self.pk])

    @property
    def amount_remaining(self) -> Decimal:
        return self.total_incl_vat - self.amount_paid

    @property
    def refundable(self) -> Decimal:
        return self.amount_paid - self.amount_refunded

    def vat_breakdown(self) -> list[dict[str, Decimal]]:
        """Totals per VAT rate, from lines rounded one by one."""
        rates: dict[Decimal, dict[str, Decimal]] = {}
        for line in self.lines.all():
            bucket = rates.setdefault(
                line.vat_rate, {"rate": line.vat_rate, "base": ZERO, "vat": ZERO}
            )
            bucket["base"] += line.total_excl_vat
            bucket["vat"] += line.vat_amount
        return [rates[rate] for rate in sorted(rates)]

    def recompute_totals(self) -> None:
        breakdown = self.vat_breakdown()
        self.total_excl_vat = sum((b["base"] for b in breakdown), ZERO)
        self.total_vat = sum((b["vat"] for b in breakdown), ZERO)
        self.total_incl_vat = self.total_excl_vat + self.total_vat


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("unit price excl. VAT"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self) -> str:
        return self.description

    @property
    def total_excl_vat(self) -> Decimal:
        return round_money(self.quantity * self.unit_price)

    @property
    def vat_amount(self) -> Decimal:
        return round_money(self.total_excl_vat * self.vat_rate / Decimal(100))

    @property
    def total_incl_vat(self) -> Decimal:
        return self.total_excl_vat + self.vat_amount


class NumberSequence(models.Model):
    """One gapless numbering series per organisation, kind and year (invoices, credit notes).

    A number is taken inside the transaction that stores it on its document, with the
    series row locked: concurrent issuers queue on the lock, and a rollback gives the
    number back, so there is never a gap nor a duplicate.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "year"], name="one_sequence_per_kind_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.kind}/{self.year}: {self.last_value}"
