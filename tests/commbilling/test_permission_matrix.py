"""Every URL of the project, for every role: 200, 403, 404 or the login page."""

import importlib
import pkgutil
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests
from tests.matrix import ROLES, Row

# URLs of Django itself, tested by Django.
IGNORED_NAMESPACES = {"admin"}
IGNORED_NAMES = {"set_language"}


def _all_rows() -> list[Row]:
    rows: list[Row] = []
    for module in pkgutil.iter_modules(tests.__path__):
        if module.ispkg:
            try:
                matrix = importlib.import_module(f"tests.{module.name}.matrix")
            except ModuleNotFoundError:
                continue
            rows.extend(matrix.MATRIX)
    return rows


def _url_names(patterns=None, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            if ns in IGNORED_NAMESPACES:
                continue
            prefix = f"{namespace}{ns}:" if ns else namespace
            names |= _url_names(pattern.url_patterns, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name and pattern.name not in IGNORED_NAMES:
            names.add(f"{namespace}{pattern.name}")
    return names


ROWS = _all_rows()


def test_every_url_of_the_project_is_in_the_matrix():
    missing = _url_names() - {row.name for row in ROWS}
    assert not missing, f"add these URLs to a tests/<app>/matrix.py: {sorted(missing)}"


def test_every_row_names_every_role():
    for row in ROWS:
        assert set(row.expect) == set(ROLES), row.name


def _check(response, expectation, row: Row, role: str) -> None:
    login = reverse("accounts:login")
    where = f"{row.method.upper()} {row.name} as {role}: got {response.status_code}"
    if expectation == "login":
        assert response.status_code == 302, where
        assert response["Location"].startswith(login), where
    elif expectation == "ok":
        assert response.status_code < 400, where
        if response.status_code == 302:
            assert not response["Location"].startswith(login), where
    else:
        assert response.status_code == expectation, where


@pytest.mark.django_db
@pytest.mark.parametrize("row", ROWS, ids=[f"{r.method}-{r.name}" for r in ROWS])
def test_each_role_gets_what_the_matrix_says(
    row, organisation, accountant, support_user, admin_user, other_accountant
):
    users = {"accountant": accountant, "support": support_user, "admin": admin_user}
    ctx = SimpleNamespace(
        organisation=organisation, accountant=accountant, support_user=support_user
    )
    kwargs = row.make(ctx) if row.make else {}
    url = reverse(row.name, kwargs=kwargs)
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(users[role])
        response = getattr(client, row.method)(url, data=row.data)
        _check(response, row.expect[role], row, role)
    if row.make is not None:
        client = Client()
        client.force_login(other_accountant)
        response = getattr(client, row.method)(url, data=row.data)
        assert response.status_code == 404, (
            f"{row.name}: another organisation's accountant got {response.status_code}"
        )


def _methods_by_name() -> dict[str, set[str]]:
    methods: dict[str, set[str]] = {}
    for row in ROWS:
        methods.setdefault(row.name, set()).add(row.method)
    return methods


# Pages that are forms (GET shows them, POST submits them; their own tests post them)
# and a webhook answered by django-anymail.
BOTH_METHODS = {
    "accounts:login",
    "accounts:company_settings",
    "einvoicing:settings",
    "emails:tracking_webhook",
    "invoices:create",
    "invoices:edit",
    "invoices:customer_create",
    "invoices:customer_edit",
    "invoices:fix_customer",
    "payments:record",
    "payments:statements",
    "refunds:credit_invoice",
    "refunds:request",
}
METHOD_ROWS = [
    (row, other)
    for row in ROWS
    for other in ("get", "post")
    if row.name not in BOTH_METHODS and other not in _methods_by_name()[row.name]
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "method"), METHOD_ROWS, ids=[f"{m}-{r.name}" for r, m in METHOD_ROWS]
)
def test_a_method_the_matrix_does_not_list_is_refused(row, method, organisation, admin_user):
    """What every view's own "wrong method" test used to check, for every URL at once."""
    ctx = SimpleNamespace(organisation=organisation, accountant=admin_user, support_user=admin_user)
    url = reverse(row.name, kwargs=row.make(ctx) if row.make else {})
    client = Client()
    client.force_login(admin_user)

    assert getattr(client, method)(url).status_code == 405
