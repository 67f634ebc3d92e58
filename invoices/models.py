from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import validators
from accounts.history import AuditTrail
from accounts.models import Organisation, OrganisationQuerySet
from activity.choices import Cause
from activity.models import TrackedQuerySet, TrackedRecord

from . import extensions

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_money(value: Decimal) -> Decimal:
    """Half-up to the cent, as French invoicing practice expects (never banker's rounding)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Customer(models.Model):
    class Type(models.TextChoices):
        BUSINESS = "business", _("Business")
        INDIVIDUAL = "individual", _("Individual")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
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
    iban = models.CharField(
        _("IBAN"),
        max_length=42,
        blank=True,
        validators=[validators.validate_iban],
        help_text=_("Where manual refunds are sent."),
    )
    # Only when goods are delivered elsewhere than the billing address (décret 2022-1299).
    delivery_street = models.CharField(_("delivery street"), max_length=200, blank=True)
    delivery_postal_code = models.CharField(_("delivery postal code"), max_length=20, blank=True)
    delivery_city = models.CharField(_("delivery city"), max_length=100, blank=True)
    delivery_country = models.CharField(_("delivery country"), max_length=2, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=settings.LANGUAGES, default="fr"
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = OrganisationQuerySet.as_manager()
    history = AuditTrail()

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


class VatCategory(models.TextChoices):
    """EN 16931 VAT category codes (UNTDID 5305), stored as such so that e-invoices map
    them directly."""

    STANDARD = "S", _("Standard or reduced rate")
    ZERO = "Z", _("Zero rate")
    EXEMPT = "E", _("Exempt from VAT")
    REVERSE_CHARGE = "AE", _("Reverse charge")
    INTRA_EU = "K", _("Intra-EU supply of goods")
    EXPORT = "G", _("Export outside the EU")
    OUTSIDE_SCOPE = "O", _("Outside the scope of VAT")


class OperationCategory(models.TextChoices):
    # Décret 2022-1299: the category of the operation is a mention of its own.
    GOODS = "goods", _("Supply of goods")
    SERVICES = "services", _("Provision of services")
    MIXED = "mixed", _("Goods and services")


class FrozenDocumentError(Exception):
    """An issued document (invoice, its lines, a credit note) was asked to change."""


@dataclass(frozen=True)
class Totals:
    """What one set of lines adds up to: VAT per (category, rate), then overall."""

    breakdown: list[dict[str, Any]]
    excl_vat: Decimal
    vat: Decimal
    incl_vat: Decimal


def compute_totals(lines: Iterable[Any]) -> Totals:
    """The only computation of document totals (invoices and credit notes).

    Each line is rounded half-up to the cent, its VAT too; VAT is then summed per
    category and rate (CGI art. 242 nonies A: totals per rate), and overall.
    """
    buckets: dict[tuple[str, Decimal], dict[str, Any]] = {}
    for line in lines:
        category = getattr(line, "vat_category", VatCategory.STANDARD)
        bucket = buckets.setdefault(
            (category, line.vat_rate),
            {"category": category, "rate": line.vat_rate, "base": ZERO, "vat": ZERO},
        )
        bucket["base"] += line.total_excl_vat
        bucket["vat"] += line.vat_amount
    breakdown = [buckets[key] for key in sorted(buckets, key=lambda k: (k[1], k[0]))]
    excl = sum((b["base"] for b in breakdown), ZERO)
    vat = sum((b["vat"] for b in breakdown), ZERO)
    return Totals(breakdown=breakdown, excl_vat=excl, vat=vat, incl_vat=excl + vat)


class InvoiceQuerySet(TrackedQuerySet):
    def matching(self, text: str) -> "InvoiceQuerySet":
        return self.filter(number=text.strip().upper())

    def issued(self):
        return self.filter(number__isnull=False)

    def for_generation(self) -> "InvoiceQuerySet":
        """Everything the readiness checks, the numbering and the PDF read, in two queries:
        the invoice with its customer, organisation and company settings (and what the
        registered readiness checks read, see ``extensions``), then its lines."""
        return self.select_related(
            "customer",
            "organisation",
            "organisation__company_settings",
            *extensions.readiness_reads(),
        ).prefetch_related("lines")

    def update(self, **kwargs):
        frozen = set(kwargs) & set(Invoice.frozen_field_names())
        if frozen and self.issued().exists():
            raise FrozenDocumentError(
                f"Issued invoices cannot change ({', '.join(sorted(frozen))}): "
                "correct them with a credit note."
            )
        return super().update(**kwargs)

    def delete(self):
        if self.issued().exists():
            raise FrozenDocumentError("An issued invoice cannot be deleted.")
        return super().delete()

    def retake_parties(self, invoice: "Invoice", *, seller: dict, buyer: dict) -> bool:
        """The one exception to the freeze, for ``services.retake_parties`` only: replace
        the parties' snapshot of an issued invoice nobody received. On PostgreSQL the
        trigger lets ``seller`` and ``buyer`` change while this statement runs, no longer
        (migration 0007)."""
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('invoices.retaking_parties', 'on', true)")
            rows = models.QuerySet.update(
                self.filter(pk=invoice.pk, number__isnull=False), seller=seller, buyer=buyer
            )
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('invoices.retaking_parties', 'off', true)")
        return bool(rows)


class Invoice(TrackedRecord):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        QUEUED = "queued", _("Queued")
        GENERATING = "generating", _("Generating")
        GENERATED = "generated", _("Generated")
        SENT = "sent", _("Sent")
        PARTIALLY_PAID = "partially_paid", _("Partially paid")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled by credit note")
        FAILED = "failed", _("Failed")

    STATUS_QUEUED = Status.QUEUED
    STATUS_RUNNING = Status.GENERATING
    STATUS_FAILED = Status.FAILED
    RETRYABLE_STATUSES = (Status.FAILED,)
    # Statuses of an issued invoice whose PDF exists: payments and credit notes apply.
    OPEN_STATUSES = (Status.GENERATED, Status.SENT, Status.PARTIALLY_PAID)
    SETTLEMENT_STATUSES = (*OPEN_STATUSES, Status.PAID, Status.CANCELLED)
    # What may still change once the invoice has its number (CGI art. 242 nonies A: the
    # issued document is final). Everything else is frozen, here and in the PostgreSQL
    # trigger of migration 0003, which lists the same columns.
    BOOKKEEPING_FIELDS = frozenset(
        {
            "status",
            "amount_paid",
            "amount_credited",
            "amount_refunded",
            "paid_at",
            "pdf",
            "generated_at",
            "payment_reference",
            "created_by",
            "updated_at",
            # The automation fields; the organisation, also declared there, is identity.
            *(f.name for f in TrackedRecord._meta.local_fields if f.name != "organisation"),
        }
    )

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="invoices"
    )
    # NULL until issued: drafts must not collide in the unique (organisation, number).
    number = models.CharField(  # noqa: DJ001
        _("number"), max_length=32, null=True, blank=True, editable=False
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    operation_category = models.CharField(
        _("category of the operation"),
        max_length=10,
        choices=OperationCategory.choices,
        default=OperationCategory.SERVICES,
    )
    # The date of the sale or service, or its period, when it differs from the issue date.
    delivery_date = models.DateField(_("date of the sale or service"), null=True, blank=True)
    period_start = models.DateField(_("service period from"), null=True, blank=True)
    period_end = models.DateField(_("service period to"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Identity of the parties as they were when the invoice took its number: editing the
    # customer or the company settings later never changes an issued invoice.
    seller = models.JSONField(_("seller at issue"), default=dict, blank=True, editable=False)
    buyer = models.JSONField(_("buyer at issue"), default=dict, blank=True, editable=False)
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
    amount_credited = models.DecimalField(
        _("amount credited"), max_digits=14, decimal_places=2, default=ZERO
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
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        # Django reaches rows through the base manager too: it refuses like ``objects``.
        base_manager_name = "objects"
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
            # The dashboard's blocking customers: failed for missing data, however many
            # other failures the organisation keeps.
            models.Index(
                fields=["organisation", "status"],
                condition=models.Q(last_cause=Cause.MISSING_DATA),
                name="invoice_org_missing_data",
            ),
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

    # --- Frozen once issued -------------------------------------------------------

    @classmethod
    def frozen_field_names(cls) -> list[str]:
        return [
            f.attname for f in cls._meta.concrete_fields if f.name not in cls.BOOKKEEPING_FIELDS
        ]

    @classmethod
    def from_db(cls, db, field_names, values, *, fetch_mode=None):
        instance = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        instance._remember_issued_state()
        return instance

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._remember_issued_state()

    def hold_stored_number(self, number: str, stored: Mapping[str, Any]) -> None:
        """Hold what a numbering wrote to the row without a save (its number, with
        ``stored``: dates, parties, totals): frozen from here on, as after a save."""
        for name, value in stored.items():
            setattr(self, name, value)
        self.number = number
        self._remember_issued_state()

    def _remember_issued_state(self) -> None:
        loaded = self.__dict__
        self._issued_state = (
            {name: loaded[name] for name in self.frozen_field_names() if name in loaded}
            if loaded.get("number")
            else None
        )

    @property
    def is_issued(self) -> bool:
        return bool(self.number)

    def save(self, *args, **kwargs) -> None:
        issued_state = getattr(self, "_issued_state", None)
        if issued_state:
            update_fields = kwargs.get("update_fields")
            changed = [
                name
                for name, value in issued_state.items()
                if (update_fields is None or name in update_fields or name.removesuffix("_id")
                    in update_fields)
                and self.__dict__.get(name) != value
            ]  # fmt: skip
            if changed:
                raise FrozenDocumentError(
                    f"Invoice {issued_state['number']} is issued: {', '.join(changed)} cannot "
                    "change. Correct it with a credit note."
                )
        super().save(*args, **kwargs)
        self._remember_issued_state()

    def delete(self, *args, **kwargs):
        if self.is_issued:
            raise FrozenDocumentError(f"Invoice {self.number} is issued: it cannot be deleted.")
        return super().delete(*args, **kwargs)

    # --- Amounts ------------------------------------------------------------------

    @property
    def amount_due(self) -> Decimal:
        """What the customer owes after credit notes: invoiced minus credited."""
        return self.total_incl_vat - self.amount_credited

    @property
    def amount_remaining(self) -> Decimal:
        """Still to be paid: due minus what was paid and not refunded (negative when the
        customer is owed money)."""
        return self.amount_due - (self.amount_paid - self.amount_refunded)

    @property
    def refundable(self) -> Decimal:
        return self.amount_paid - self.amount_refunded

    def settlement_status(self, *, sent: bool) -> str:
        """The status the amounts call for (Partiellement payée, Payée, Annulée) on an
        issued invoice; ``sent`` says whether it was e-mailed, for the unpaid case."""
        if self.status not in self.SETTLEMENT_STATUSES:
            return self.status
        net_paid = self.amount_paid - self.amount_refunded
        if self.amount_due <= ZERO and net_paid <= ZERO:
            return self.Status.CANCELLED
        if self.amount_remaining <= ZERO:
            return self.Status.PAID
        if net_paid > ZERO:
            return self.Status.PARTIALLY_PAID
        return self.Status.SENT if sent else self.Status.GENERATED

    def totals(self) -> Totals:
        return compute_totals(self.lines.all())  # prefetched lines when loaded with them

    def vat_breakdown(self) -> list[dict[str, Any]]:
        """Totals per VAT category and rate, from lines rounded one by one."""
        return self.totals().breakdown

    def recompute_totals(self) -> None:
        totals = self.totals()
        self.total_excl_vat = totals.excl_vat
        self.total_vat = totals.vat
        self.total_incl_vat = totals.incl_vat


class InvoiceLineQuerySet(models.QuerySet):
    def _refuse_if_issued(self) -> None:
        if self.filter(invoice__number__isnull=False).exists():
            raise FrozenDocumentError("Lines of an issued invoice cannot change.")

    def update(self, **kwargs):
        self._refuse_if_issued()
        return super().update(**kwargs)

    def delete(self):
        self._refuse_if_issued()
        return super().delete()


class LineAmounts:
    """The amounts of a document's line (an invoice's, a credit note's) from its quantity,
    unit price excl. VAT and VAT rate, model fields of the class it is mixed into."""

    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal

    @property
    def total_excl_vat(self) -> Decimal:
        return round_money(self.quantity * self.unit_price)

    @property
    def vat_amount(self) -> Decimal:
        return round_money(self.total_excl_vat * self.vat_rate / Decimal(100))

    @property
    def total_incl_vat(self) -> Decimal:
        return self.total_excl_vat + self.vat_amount


class InvoiceLine(LineAmounts, models.Model):
    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice")
    )
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("unit price excl. VAT"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    vat_category = models.CharField(
        _("VAT category"), max_length=2, choices=VatCategory.choices, default=VatCategory.STANDARD
    )
    vat_exemption_reason = models.CharField(
        _("VAT exemption reason"),
        max_length=200,
        blank=True,
        help_text=_("For an exempt or out-of-scope line: the article that applies."),
    )

    objects = InvoiceLineQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self) -> str:
        return self.description

    def save(self, *args, **kwargs) -> None:
        if self._invoice_is_issued():
            raise FrozenDocumentError("Lines of an issued invoice cannot change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._invoice_is_issued():
            raise FrozenDocumentError("Lines of an issued invoice cannot be deleted.")
        return super().delete(*args, **kwargs)

    def _invoice_is_issued(self) -> bool:
        return Invoice.objects.filter(pk=self.invoice_id, number__isnull=False).exists()


class NumberSequence(models.Model):
    """One gapless numbering series per organisation, kind and year (invoices, credit notes).

    A number is taken inside the transaction that stores it on its document, with the
    series row locked: concurrent issuers queue on the lock, and a rollback gives the
    number back, so there is never a gap nor a duplicate.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    kind = models.CharField(max_length=20, verbose_name=_("kind"))
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    last_value = models.PositiveIntegerField(default=0, verbose_name=_("last number"))

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "year"], name="one_sequence_per_kind_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.kind}/{self.year}: {self.last_value}"
