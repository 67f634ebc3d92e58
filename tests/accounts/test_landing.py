"""Each role lands on its own page after logging in, and no navigation link answers 403."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from accounts.models import ROLE_GROUPS, Role
from tests import factories

pytestmark = pytest.mark.django_db


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href and href.startswith("/") and not href.startswith("//"):
            self.links.append(href)


def _links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def _log_in(user) -> tuple[Client, object]:
    client = Client()
    response = client.post(
        reverse("accounts:login"),
        {"username": user.username, "password": factories.PASSWORD},
        follow=True,
    )
    return client, response


def _user(kind: str, organisation):
    if kind == "accountant":
        return factories.UserFactory(organisation=organisation, role=Role.ACCOUNTANT)
    if kind == "support":
        return factories.UserFactory(organisation=None, role=Role.SUPPORT)
    if kind == "admin":
        return factories.UserFactory(organisation=organisation, role=Role.ADMIN)
    if kind == "admin-without-organisation":
        return factories.UserFactory(organisation=None, role=Role.ADMIN)
    return factories.UserFactory(organisation=organisation)  # no role


LANDINGS = [
    ("accountant", "dashboard"),
    ("support", "support:queue"),
    ("admin", "dashboard"),
    ("admin-without-organisation", "admin:index"),
    ("no-role", "accounts:no_role"),
]


@pytest.mark.parametrize(("kind", "landing"), LANDINGS)
def test_each_role_lands_on_its_own_page_after_logging_in(kind, landing, organisation):
    _client, response = _log_in(_user(kind, organisation))

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse(landing)


@pytest.mark.parametrize(("kind", "landing"), LANDINGS)
def test_the_logo_leads_each_role_to_its_landing_page(kind, landing, organisation):
    client, _response = _log_in(_user(kind, organisation))

    response = client.get(reverse("dashboard"), follow=True)

    assert response.status_code == 200
    assert response.request["PATH_INFO"] == reverse(landing)


@pytest.mark.parametrize("kind", [kind for kind, _landing in LANDINGS])
def test_no_navigation_link_answers_403_to_any_role(kind, organisation):
    """Follow every link of the landing page (top bar, navigation and content) and every
    link of the pages the navigation leads to, as each role."""
    client, landing = _log_in(_user(kind, organisation))
    nav = [link for link in _links(landing.content.decode()) if not link.startswith("/admin/")]
    seen: dict[str, int] = {}
    to_visit = list(dict.fromkeys(nav))
    for depth in range(2):
        next_round: list[str] = []
        for link in to_visit:
            if link in seen:
                continue
            response = client.get(link, follow=True)
            seen[link] = response.status_code
            if depth == 0 and response.get("Content-Type", "").startswith("text/html"):
                next_round += [
                    href
                    for href in _links(response.content.decode())
                    if not href.startswith("/admin/") and href not in seen
                ]
        to_visit = next_round

    refused = {link: status for link, status in seen.items() if status >= 400}
    assert seen, "the landing page has no link"
    assert refused == {}


def test_a_refused_page_explains_itself_and_offers_the_way_home(support_client):
    response = support_client.get(reverse("invoices:list"))

    html = response.content.decode()
    assert response.status_code == 403
    assert "This page is not for your role" in html
    assert f'href="{reverse("dashboard")}"' in html


def test_a_user_without_a_role_is_told_so(organisation):
    user = factories.UserFactory(organisation=organisation)
    assert not Group.objects.filter(name__in=ROLE_GROUPS.values(), user=user).exists()
    client = Client()
    client.force_login(user)

    response = client.get(reverse("accounts:no_role"))

    assert response.status_code == 200
    assert "Your account has no role yet" in response.content.decode()
