"""Every page a person can open, for each role: the crawls' list.

Built from the permission matrix (tests/<app>/matrix.py: every GET row a role may open,
with the records its ``make`` creates) plus the Django admin (index, each model's list
and the page of one of its records). Only full HTML pages are kept: PDFs, CSV, htmx
fragments and redirects are not pages.
"""

import importlib
import pkgutil
from dataclasses import dataclass
from types import SimpleNamespace

from django.contrib import admin
from django.test import Client
from django.urls import reverse

import tests
from tests.matrix import ROLES, Row

LOGGED_IN_ROLES = tuple(role for role in ROLES if role != "anonymous")


@dataclass(frozen=True)
class Page:
    role: str
    name: str  # URL name, or admin:<app>_<model>_changelist / _change
    url: str

    @property
    def slug(self) -> str:
        return self.name.replace(":", "-").replace("_", "-")


def _matrix_rows() -> list[Row]:
    rows: list[Row] = []
    for module in pkgutil.iter_modules(tests.__path__):
        if module.ispkg:
            try:
                matrix = importlib.import_module(f"tests.{module.name}.matrix")
            except ModuleNotFoundError:
                continue
            rows.extend(matrix.MATRIX)
    return rows


def _is_page(response) -> bool:
    return (
        response.status_code == 200
        and response.get("Content-Type", "").startswith("text/html")
        and b"<html" in response.content[:500]
    )


def _admin_urls() -> list[tuple[str, str]]:
    urls = [("admin:index", reverse("admin:index"))]
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
        info = (model._meta.app_label, model._meta.model_name)
        name = "admin:{}_{}_changelist".format(*info)
        urls.append((name, reverse(name)))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            change = "admin:{}_{}_change".format(*info)
            urls.append((change, reverse(change, args=[first.pk])))
    return urls


def build_pages(*, organisation, accountant, support_user, admin_user) -> list[Page]:
    """Create the records the matrix needs and list the pages each role can open."""
    users = {"accountant": accountant, "support": support_user, "admin": admin_user}
    ctx = SimpleNamespace(
        organisation=organisation, accountant=accountant, support_user=support_user
    )
    candidates: list[tuple[Row, str]] = []
    seen: set[str] = set()
    for row in _matrix_rows():
        if row.method != "get" or row.name in seen:
            continue
        if not any(row.expect[role] == "ok" for role in ROLES):
            continue
        seen.add(row.name)
        kwargs = row.make(ctx) if row.make else {}
        candidates.append((row, reverse(row.name, kwargs=kwargs)))

    pages: list[Page] = []
    anonymous = Client()
    for row, url in candidates:
        if row.expect["anonymous"] == "ok" and _is_page(anonymous.get(url)):
            pages.append(Page("anonymous", row.name, url))
    for role in LOGGED_IN_ROLES:
        client = Client()
        client.force_login(users[role])
        listed = [(row.name, url) for row, url in candidates if row.expect[role] == "ok"]
        if users[role].is_staff:
            listed += _admin_urls()
        for name, url in listed:
            if _is_page(client.get(url)):
                pages.append(Page(role, name, url))
    return pages
