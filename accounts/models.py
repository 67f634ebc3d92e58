from decimal import Decimal
from functools import cached_property
from typing import Self, TypeVar

from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history import register as register_history

from commbilling.secrets import SecretField

from . import validators
from .history import AuditTrail


class Role(models.TextChoices):
    ACCOUNTANT = "accountant", _("Accountant")
    SUPPORT = "support", _("Support")
    ADMIN = "admin", _("Administrator")


# Names of the Django groups created by migration 0002; a user's role is its group.
ROLE_GROUPS = {
    Role.ACCOUNTANT: "Comptable",
    Role.SUPPORT: "Support",
    Role.ADMIN: "Administrateur",
}


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


_M = TypeVar("_M", bound=models.Model, covariant=True)  # as django-stubs' QuerySet


class OrganisationQuerySet(models.QuerySet[_M]):
    """Base QuerySet for every business row: the only way views reach tenant data."""

    def for_organisation(self, organisation: Organisation | None) -> Self:
        if organisation is None:
            return self.none()
        return self.filter(organisation=organisation)


class User(AbstractUser):
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("Accountants belong to one organisation; support staff to none."),
    )
    language = models.CharField(
        _("language"), max_length=8, default="fr", choices=[("fr", "Français"), ("en", "English")]
    )

    # Admin audit trail: who changed what, old and new values (never the password hash).
    history = AuditTrail(
        excluded_fields=["password", "last_login"], m2m_fields=["groups"], app="accounts"
    )

    class Meta(AbstractUser.Meta):
        permissions = [
            ("use_billing", _("Can use the billing dashboard of their organisation")),
            ("work_support_queue", _("Can answer support tickets of every organisation")),
            ("edit_company_settings", _("Can edit company settings")),
        ]

    @cached_property
    def role(self) -> Role | None:
        names = {group.name for group in self.groups.all()}
        if self.is_superuser or ROLE_GROUPS[Role.ADMIN] in names:
            return Role.ADMIN
        if ROLE_GROUPS[Role.SUPPORT] in names:
            return Role.SUPPORT
        if ROLE_GROUPS[Role.ACCOUNTANT] in names:
            return Role.ACCOUNTANT
        return None

    def clean(self) -> None:
        super().clean()
        if self.pk and self.role == Role.ACCOUNTANT and self.organisation_id is None:
            raise ValidationError(
                {"organisation": _("An accountant must belong to an organisation.")}
            )


class CompanySettings(models.Model):
    """The seller's identity and the automation settings of one organisation."""

    class PaymentProvider(models.TextChoices):
        MANUAL = "manual", _("Manual bank transfer")
        STRIPE = "stripe", _("Stripe (card payments)")

    class Registry(models.TextChoices):
        # Code de commerce R123-237: the registry and its city appear on every invoice.
        RCS = "RCS", _("RCS (trade and companies register)")
        RM = "RM", _("RM (trades register)")
        NONE = "", _("Not registered (e.g. some micro-entrepreneurs)")

    class VatRegime(models.TextChoices):
        STANDARD = "standard", _("Subject to VAT")
        # CGI art. 293 B: no VAT charged, the invoice says why.
        FRANCHISE = "franchise", _("Franchise en base (no VAT, art. 293 B of the CGI)")

    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.CASCADE,
        related_name="company_settings",
        verbose_name=_("organisation"),
    )
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    legal_form = models.CharField(
        _("legal form"), max_length=40, blank=True, help_text=_("e.g. SARL, SAS, EURL, EI.")
    )
    share_capital = models.DecimalField(
        _("share capital (€)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Required for companies (not for an individual entrepreneur)."),
    )
    registry = models.CharField(
        _("registry"), max_length=3, choices=Registry.choices, default=Registry.RCS, blank=True
    )
    registry_city = models.CharField(
        _("registry city"), max_length=100, blank=True, help_text=_("e.g. RCS Paris.")
    )
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR")
    siren = models.CharField(
        _("SIREN"), max_length=11, blank=True, validators=[validators.validate_siren]
    )
    siret = models.CharField(
        _("SIRET"), max_length=17, blank=True, validators=[validators.validate_siret]
    )
    vat_number = models.CharField(
        _("VAT number"), max_length=20, blank=True, validators=[validators.validate_vat]
    )
    iban = models.CharField(
        _("IBAN"), max_length=42, blank=True, validators=[validators.validate_iban]
    )
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    invoice_prefix = models.CharField(
        _("invoice numbering prefix"),
        max_length=10,
        default="F",
        validators=[validators.validate_prefix],
        help_text=_("Invoice numbers look like PREFIX-YEAR-000123."),
    )
    credit_note_prefix = models.CharField(
        _("credit note numbering prefix"),
        max_length=10,
        default="AV",
        validators=[validators.validate_prefix],
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), default=30, validators=[MaxValueValidator(60)]
    )
    default_vat_rate = models.DecimalField(
        _("default VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("20.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    late_penalty_rate = models.DecimalField(
        _("late-payment penalty rate (%/year)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("12.00"),
    )
    early_payment_discount = models.CharField(
        _("early-payment discount"),
        max_length=200,
        blank=True,
        help_text=_("Terms of the discount for early payment; empty prints “no discount”."),
    )
    vat_regime = models.CharField(
        _("VAT regime"), max_length=10, choices=VatRegime.choices, default=VatRegime.STANDARD
    )
    vat_on_debits = models.BooleanField(
        _("option for paying VAT on debits"),
        default=False,
        help_text=_(
            "Printed on invoices as “Option pour le paiement de la taxe d'après les débits”."
        ),
    )
    sender_email = models.EmailField(_("sender e-mail"), blank=True)
    auto_send_invoices = models.BooleanField(
        _("e-mail invoices automatically once generated"), default=False
    )
    # Outgoing mail: empty host means the platform's server (EMAIL_* settings).
    smtp_host = models.CharField(_("SMTP host"), max_length=200, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), null=True, blank=True)
    smtp_username = models.CharField(_("SMTP user"), max_length=200, blank=True)
    # Secrets: encrypted at rest (commbilling/secrets.py), never shown back (forms.py).
    smtp_password = SecretField(_("SMTP password"), max_length=200, blank=True)
    smtp_use_tls = models.BooleanField(_("SMTP STARTTLS"), default=False)
    payment_provider = models.CharField(
        _("payment provider"),
        max_length=20,
        choices=PaymentProvider.choices,
        default=PaymentProvider.MANUAL,
    )
    provider_api_key = SecretField(_("provider API key"), max_length=200, blank=True)
    provider_api_base = models.URLField(
        _("provider API base URL"), blank=True, help_text=_("Empty means the provider's default.")
    )
    refund_approval_threshold = models.DecimalField(
        _("refunds above this amount need an admin's approval"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    # Secrets are never copied into the history table.
    history = AuditTrail(excluded_fields=["smtp_password", "provider_api_key"])

    class Meta:
        verbose_name = _("company settings")
        verbose_name_plural = _("company settings")

    def __str__(self) -> str:
        return self.legal_name or str(self.organisation)


def loaded_company_settings(organisation: Organisation) -> CompanySettings:
    """The settings read with the organisation
    (``select_related("organisation__company_settings")``), or, when it has none yet, read
    or created as ``company_settings_for`` does."""
    try:
        return organisation.company_settings
    except CompanySettings.DoesNotExist:
        return company_settings_for(organisation)


def company_settings_for(organisation: Organisation) -> CompanySettings:
    """The organisation's company settings (created empty the first time they are read)."""
    company, _created = CompanySettings.objects.get_or_create(organisation=organisation)
    return company


# Groups are the roles: changes to their permissions belong in the audit trail too.
register_history(Group, app="accounts", records_class=AuditTrail, m2m_fields=["permissions"])
