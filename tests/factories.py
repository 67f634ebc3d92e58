from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from accounts.models import ROLE_GROUPS, CompanySettings, Organisation, Role, User
from invoices.models import Customer, Invoice, InvoiceLine, VatCategory

PASSWORD = "correct-horse-battery-9"


class OrganisationFactory(factory.django.DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation
        django_get_or_create = ["slug"]
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    company_settings = factory.RelatedFactory(
        "tests.factories.CompanySettingsFactory", factory_related_name="organisation"
    )


class CompanySettingsFactory(factory.django.DjangoModelFactory[CompanySettings]):
    class Meta:
        model = CompanySettings
        django_get_or_create = ["organisation"]

    organisation = factory.SubFactory(OrganisationFactory, company_settings=None)
    legal_name = "Atelier Test SARL"
    legal_form = "SARL"
    share_capital = Decimal("10000.00")
    registry = CompanySettings.Registry.RCS
    registry_city = "Paris"
    street = "12 rue des Lilas"
    postal_code = "75011"
    city = "Paris"
    siren = "732829320"
    vat_number = "FR44732829320"
    iban = "FR1420041010050500013M02606"
    invoice_prefix = "F"
    sender_email = "facturation@example.com"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=ROLE_GROUPS[Role(extracted)]))
            if extracted == Role.ADMIN:
                self.is_staff = True
        if create:
            self.save()


class CustomerFactory(factory.django.DjangoModelFactory[Customer]):
    class Meta:
        model = Customer

    organisation = factory.SubFactory(OrganisationFactory)
    legal_name = factory.Sequence(lambda n: f"Client {n} SAS")
    contact_name = "Jeanne Client"
    email = factory.Sequence(lambda n: f"client{n}@example.com")
    street = "5 avenue de la République"
    postal_code = "69003"
    city = "Lyon"
    country = "FR"
    siren = "542051180"
    iban = "FR7630006000011234567890189"
    customer_type = Customer.Type.BUSINESS


class InvoiceFactory(factory.django.DjangoModelFactory[Invoice]):
    """A draft with lines; given a ``number``, an issued invoice: created as a draft, its
    lines added, then numbered with its parties' snapshot in one save, as issuing does."""

    class Meta:
        model = Invoice
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    customer = factory.SubFactory(
        CustomerFactory, organisation=factory.SelfAttribute("..organisation")
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        issued = {
            key: kwargs.pop(key)
            for key in ("number", "issue_date", "due_date", "total_incl_vat")
            if key in kwargs
        }
        invoice = super()._create(model_class, *args, **kwargs)
        invoice._issue_with = issued
        return invoice

    @factory.post_generation
    def lines(self, create, extracted, **kwargs):
        specs = extracted if extracted is not None else [("Conseil", "2", "100.00", "20")]
        for position, spec in enumerate(specs):
            description, quantity, price, rate, *category = spec
            InvoiceLine.objects.create(
                invoice=self,
                position=position,
                description=description,
                quantity=Decimal(quantity),
                unit_price=Decimal(price),
                vat_rate=Decimal(rate),
                vat_category=category[0] if category else VatCategory.STANDARD,
            )
        self.recompute_totals()
        issued = getattr(self, "_issue_with", {})
        if issued.get("number"):
            from accounts.models import CompanySettings
            from invoices.mentions import buyer_snapshot, seller_snapshot

            company, _ = CompanySettings.objects.get_or_create(organisation=self.organisation)
            self.seller = seller_snapshot(company)
            self.buyer = buyer_snapshot(self.customer)
        for key, value in issued.items():
            setattr(self, key, value)
        if create:
            self.save()
