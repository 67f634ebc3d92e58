"""The fuzz pass: every URL of the permission matrix, as every role, with every form field
and query parameter it uses set to oversized, malformed, Unicode-edge and NUL values.
No response may be a server error (>= 500), and a refused request stores nothing.

The parameters of a URL are those of its page's forms and links (read from the HTML each
role gets), the matrix row's own data, and a few every view might read. Each request sets
all of them to one bad value at once (a form validates every field anyway), except that
NUL and invalid UTF-8 get requests of their own, since they are answered before any view.
"""

from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import reverse

# BOTH_METHODS: pages that are forms (GET shows them, POST submits them).
from tests.commbilling.test_permission_matrix import BOTH_METHODS, ROWS
from tests.conftest import ROOT
from tests.matrix import ROLES

pytestmark = pytest.mark.django_db

BAD_VALUES: dict[str, object] = {
    "oversized": "9" * 5000,
    "huge-number": "9" * 40,
    "negative": "-1",
    "exponent": "1e999",
    "not-a-number": "NaN",
    "unicode-digits": "²³١٢",
    "unicode-edge": "\u202e\ufeffe\u0301\U0001f4a9\u00a0\u2028",
    "markup": "<script>alert(1)</script>'\"%",
    "control": "\x01\x1f\x7f",
    "bad-date": "2026-02-30",
    "repeated": ["1", "x", ""],
    "empty": "",
}
NUL = "a\x00b"
# Read by views through request.GET/POST without being in a form of the page.
COMMON_PARAMS = ["q", "cursor", "page", "status", "ids", "next", "process", "cause", "level"]
# Tables a refused request may still write: sessions, log-in throttling.
UNWATCHED_TABLES = {"django_session", "axes_accessattempt", "axes_accesslog"}


class _Fields(HTMLParser):
    """Names of form fields and of link query parameters in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        named = tag in {"input", "select", "textarea", "button"} and attributes.get("name")
        if named and attributes.get("type") != "file":
            self.names.add(str(attributes["name"]))
        for link in (attributes.get("href"), attributes.get("hx-get"), attributes.get("action")):
            if link and "?" in link:
                self.names.update(name for name, _ in parse_qsl(urlsplit(link).query))


def _fields(html: str) -> set[str]:
    parser = _Fields()
    parser.feed(html)
    return parser.names - {"csrfmiddlewaretoken"}


def _counts() -> dict[str, int]:
    """Rows of every table of ours, in one query."""
    tables = sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.managed and model._meta.db_table not in UNWATCHED_TABLES
    )
    quoted = connection.ops.quote_name
    select = ", ".join(f"(SELECT COUNT(*) FROM {quoted(t)})" for t in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select}")
        return dict(zip(tables, cursor.fetchone(), strict=True))


def _raw_query(names: list[str], encoded_value: str) -> str:
    return "&".join(f"{quote(name)}={encoded_value}" for name in names)


@pytest.fixture
def clients(accountant, support_user, admin_user) -> dict[str, Client]:
    users = {"accountant": accountant, "support": support_user, "admin": admin_user}
    result = {"anonymous": Client()}
    for role, user in users.items():
        result[role] = Client()
        result[role].force_login(user)
    return result


def _form_fields() -> set[str]:
    """The fields of every form class of the project's apps."""
    import importlib
    import inspect

    from django import forms

    names: set[str] = set()
    for config in apps.get_app_configs():
        if not config.path.startswith(str(ROOT)) or ".venv" in config.path:
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for _, form in inspect.getmembers(module, inspect.isclass):
            if issubclass(form, forms.BaseForm) and hasattr(form, "base_fields"):
                names |= set(form.base_fields)
    return names


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.method}-{r.name}" for r in ROWS])
def test_no_input_gives_a_server_error_or_stores_half_of_anything(
    row, organisation, accountant, support_user, admin_user, clients
):
    ctx = SimpleNamespace(
        organisation=organisation, accountant=accountant, support_user=support_user
    )
    url = reverse(row.name, kwargs=row.make(ctx) if row.make else {})
    # The parameters of the URL: what each role's page shows, and for an action (a POST
    # with no page of its own) the fields of every form of the project.
    names_found = set(row.data) | set(COMMON_PARAMS)
    for role in ROLES:
        if row.method == "get" and row.expect[role] == "ok":
            response = clients[role].get(url)
            if response.get("Content-Type", "").startswith("text/html"):
                names_found |= _fields(response.content.decode(errors="replace"))
    if row.method == "post":
        names_found |= _form_fields()
    names = sorted(names_found)
    posts = row.method == "post" or row.name in BOTH_METHODS

    failures: list[str] = []
    requests = 0

    def check(response, what: str, before: dict[str, int] | None) -> None:
        nonlocal requests
        requests += 1
        if response.status_code >= 500:
            failures.append(f"{what}: {response.status_code}")
        elif before is not None and response.status_code not in (301, 302, 303):
            after = _counts()
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            if changed:
                failures.append(f"{what}: refused ({response.status_code}) but stored {changed}")

    for role in ROLES:
        client = clients[role]
        full = row.expect[role] == "ok"
        values = BAD_VALUES if full else {"oversized": BAD_VALUES["oversized"]}
        for label, value in values.items():
            data = {name: value for name in names}
            what = f"{row.name} as {role}, {label}"
            if row.method == "get":
                check(client.get(url, data), f"GET {what}", None)
                if full and label == "oversized":
                    check(client.get(url, data, HTTP_HX_REQUEST="true"), f"htmx {what}", None)
            if posts:
                before = _counts()
                body = urlencode(data, doseq=True)
                response = client.post(url, body, content_type="application/x-www-form-urlencoded")
                check(response, f"POST {what}", before)
        # Answered before any view: NUL anywhere, and bytes that are not UTF-8.
        for label, encoded in (("NUL", quote(NUL)), ("invalid UTF-8", "%ff%fe%c3")):
            query = _raw_query(names, encoded)
            check(client.get(f"{url}?{query}"), f"GET {row.name} as {role}, {label}", None)
            if posts:
                before = _counts()
                response = client.post(url, query, content_type="application/x-www-form-urlencoded")
                check(response, f"POST {row.name} as {role}, {label}", before)
        if posts:
            before = _counts()
            response = client.post(url, {name: NUL for name in names})  # multipart
            check(response, f"POST multipart {row.name} as {role}, NUL", before)

    assert requests >= len(ROLES) * 3
    assert not failures, "\n".join(failures[:50])


ADMIN_VALUES = {k: BAD_VALUES[k] for k in ("oversized", "unicode-digits", "markup", "repeated")}


def test_no_query_parameter_gives_a_server_error_in_the_admin(admin_user, organisation):
    """The Django admin's lists the admin role opens (tests/pages.py lists them with the
    other pages): search, ordering, page, and every filter their links carry."""
    from tests.factories import InvoiceFactory
    from tests.pages import _admin_urls

    InvoiceFactory.create(organisation=organisation)  # a record, so that lists have rows
    client = Client()
    client.force_login(admin_user)
    failures: list[str] = []
    tested = 0
    for name, url in _admin_urls():
        if not name.endswith("_changelist"):
            continue
        page = client.get(url)
        if page.status_code != 200:
            continue  # a model the role may not see (its refusal: the permission tests)
        tested += 1
        names = sorted(_fields(page.content.decode(errors="replace")) | {"q", "o", "p", "e"})
        for label, value in ADMIN_VALUES.items():
            response = client.get(url, {n: value for n in names})
            if response.status_code >= 500:
                failures.append(f"{name}, {label}: {response.status_code}")
    assert tested > 10
    assert not failures, "\n".join(failures)
