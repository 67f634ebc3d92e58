"""Every htmx form re-renders itself with its messages when it does not validate.

Invalid forms answer 422 with the form's fragment; htmx swaps 422 in place because
``responseHandling`` in templates/base.html says so (htmx 2 does not swap 4xx by
default), in development and in production alike.
"""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import resolve, reverse

from accounts.models import Role
from tests import factories
from tests.conftest import HTMX
from tests.invoices.helpers import failed_invoice
from tests.refunds.conftest import paid_invoice
from tests.support.helpers import make_ticket

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# htmx forms without any field to validate: a button that acts or says why it did not.
NO_INPUT = {
    "activity:retry",
    "activity:acknowledge",
    "emails:send_invoice",
    "invoices:customer_rerun",
    "support:assign",
    "batches:cancel",
    "incidents:acknowledge",
    "incidents:resolve",
}


def _htmx_form_urls() -> set[str]:
    """The URL names every hx-post/put/patch/delete of the templates points at."""
    names = set()
    pattern = re.compile(r"hx-(?:post|put|patch|delete)=\"\{% url '([\w:]+)'")
    for path in TEMPLATES.rglob("*.html"):
        names |= set(pattern.findall(path.read_text()))
    return names


def _refund(client, organisation):
    invoice = paid_invoice(organisation)
    url = reverse("refunds:request", args=[invoice.pk])
    return client.post(url, {"amount": "abc", "reason": ""}, headers=HTMX), 'id="refund-form"'


def _fix_customer(client, organisation):
    invoice = failed_invoice(organisation)
    url = reverse("invoices:fix_customer", args=[invoice.pk])
    return client.post(url, {"street": "", "city": ""}, headers=HTMX), 'id="customer-fix"'


def _support_reply(client, organisation):
    requester = factories.UserFactory(organisation=organisation, role=Role.ACCOUNTANT)
    client.force_login(requester)
    ticket = make_ticket(requester=requester)
    url = reverse("support:reply", args=[ticket.pk])
    return client.post(url, {"body": ""}, headers=HTMX), 'id="conversation"'


def _staff(client, kind: str, data: dict):
    requester = factories.UserFactory(role=Role.ACCOUNTANT)
    ticket = make_ticket(requester=requester)
    client.force_login(factories.UserFactory(organisation=None, role=Role.SUPPORT))
    url = reverse(f"support:{kind}", args=[ticket.pk])
    return client.post(url, data, headers=HTMX), 'id="workspace"'


CASES = {
    "refunds:request": _refund,
    "invoices:fix_customer": _fix_customer,
    "support:reply": _support_reply,
    "support:message": lambda c, _o: _staff(c, "message", {"kind": "reply", "body": ""}),
    "support:set_status": lambda c, _o: _staff(c, "set_status", {"status": "nonsense"}),
}


def test_every_htmx_form_of_the_templates_is_checked_here():
    assert _htmx_form_urls() - NO_INPUT == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_invalid_htmx_form_comes_back_in_place_with_its_messages(
    name, accountant_client, organisation
):
    response, fragment = CASES[name](accountant_client, organisation)

    html = response.content.decode()
    assert response.status_code == 422
    assert resolve(response.request["PATH_INFO"]).view_name == name
    assert "<html" not in html  # the fragment htmx swaps, not a page
    assert fragment in html
    assert 'class="error" role="alert"' in html


def _swap_rule(config: dict, status: int) -> dict:
    """The first rule htmx 2 applies to ``status``, matched as htmx does
    (``new RegExp(code).test(status)``)."""
    for rule in config["responseHandling"]:
        if re.search(rule["code"], str(status)):
            return rule
    raise AssertionError(f"no rule for {status}")


def test_htmx_is_configured_to_swap_an_invalid_form_and_not_other_errors(accountant_client):
    html = accountant_client.get(reverse("dashboard")).content.decode()
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html)[1])

    assert _swap_rule(config, 422)["swap"] is True
    assert _swap_rule(config, 200)["swap"] is True
    assert _swap_rule(config, 204)["swap"] is False
    assert _swap_rule(config, 403)["swap"] is False
    assert _swap_rule(config, 500)["swap"] is False
