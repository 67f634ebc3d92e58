"""Demo data: two organisations (to show isolation), a user per role, customers (some with
deliberately missing details) and records in every state. Runs once: a second call
does nothing unless --force is given on an empty database."""

import importlib
import random
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import ROLE_GROUPS, CompanySettings, Organisation, Role, User

DEMO_PASSWORD = "demo-2026!"  # noqa: S105 -- published demo logins

ORGANISATIONS: list[dict[str, Any]] = [
    {
        "name": "Atelier Dupont SARL",
        "slug": "atelier-dupont",
        "settings": {
            "legal_name": "Atelier Dupont SARL",
            "street": "12 rue des Lilas",
            "postal_code": "75011",
            "city": "Paris",
            "siren": "732829320",
            "vat_number": "FR44732829320",
            "iban": "FR1420041010050500013M02606",
            "bic": "PSSTFRPPPAR",
            "invoice_prefix": "F",
            "sender_email": "facturation@atelier-dupont.example",
            "legal_form": "SARL",
            "share_capital": Decimal("20000.00"),
            "registry": "RCS",
            "registry_city": "Paris",
        },
    },
    {
        "name": "Brasserie Martin SAS",
        "slug": "brasserie-martin",
        "settings": {
            "legal_name": "Brasserie Martin SAS",
            "street": "3 quai Saint-Antoine",
            "postal_code": "69002",
            "city": "Lyon",
            "siren": "404833048",
            "vat_number": "FR83404833048",
            "invoice_prefix": "BM",
            "sender_email": "compta@brasserie-martin.example",
            "legal_form": "SAS",
            "share_capital": Decimal("50000.00"),
            "registry": "RCS",
            "registry_city": "Lyon",
        },
    },
]

# Apps that add their own demo records: each has demo.seed(organisation=..., rng=...).
DEMO_MODULES = [
    "invoices.demo",
    "emails.demo",
    "refunds.demo",
    "support.demo",
    "einvoicing.demo",
]


class Command(BaseCommand):
    help = "Load demo organisations, users and records (once)."

    def handle(self, *args, **options) -> None:
        if Organisation.objects.exists():
            self.stdout.write("Demo data already loaded.")
            self._print_logins()
            return
        rng = random.Random(2026)
        with transaction.atomic():
            organisations = []
            for spec in ORGANISATIONS:
                org = Organisation.objects.create(name=spec["name"], slug=spec["slug"])
                CompanySettings.objects.create(
                    organisation=org, default_vat_rate=Decimal("20"), **spec["settings"]
                )
                organisations.append(org)
            self._user("comptable", Role.ACCOUNTANT, organisations[0], "Claire", "Comptable")
            self._user("comptable2", Role.ACCOUNTANT, organisations[1], "Marc", "Martin")
            self._user("support", Role.SUPPORT, None, "Sam", "Support")
            admin = self._user("admin", Role.ADMIN, organisations[0], "Alice", "Admin")
            admin.is_staff = True
            admin.is_superuser = True
            admin.save()
        for module_name in DEMO_MODULES:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError:
                continue
            for org in organisations:
                module.seed(organisation=org, rng=rng)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self._print_logins()

    def _user(self, username, role, organisation, first, last) -> User:
        user = User.objects.create_user(
            username=username,
            password=DEMO_PASSWORD,
            organisation=organisation,
            first_name=first,
            last_name=last,
            email=f"{username}@commbilling.example",
            language=settings.LANGUAGE_CODE,
        )
        user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
        return user

    def _print_logins(self) -> None:
        self.stdout.write(
            f"\nDemo logins (password for all: {DEMO_PASSWORD}):\n"
            "  comptable   accountant of Atelier Dupont SARL\n"
            "  comptable2  accountant of Brasserie Martin SAS\n"
            "  support     support agent (all organisations)\n"
            "  admin       administrator (Django admin at /admin/)\n"
        )
