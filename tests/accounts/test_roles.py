import pytest
from django.contrib.auth.models import Group

from accounts.models import Role

pytestmark = pytest.mark.django_db


def test_the_three_roles_exist_with_their_permissions():
    accountant = Group.objects.get(name="Comptable")
    support = Group.objects.get(name="Support")
    admin = Group.objects.get(name="Administrateur")
    codes = lambda g: set(g.permissions.values_list("codename", flat=True))  # noqa: E731
    assert {"use_billing", "view_invoice", "add_ticket"} <= codes(accountant)
    assert "work_support_queue" not in codes(accountant)
    assert {"work_support_queue", "view_invoice", "change_ticket"} <= codes(support)
    assert "change_invoice" not in codes(support)
    assert "use_billing" not in codes(support)
    assert {"use_billing", "edit_company_settings", "change_user"} <= codes(admin)


def test_a_user_role_follows_its_group(accountant, support_user, admin_user):
    assert accountant.role == Role.ACCOUNTANT
    assert support_user.role == Role.SUPPORT
    assert admin_user.role == Role.ADMIN


def test_an_accountant_sees_only_its_organisation(accountant, other_accountant):
    from invoices.models import Invoice
    from tests.factories import InvoiceFactory

    mine = InvoiceFactory(organisation=accountant.organisation)
    InvoiceFactory(organisation=other_accountant.organisation)
    assert list(Invoice.objects.for_organisation(accountant.organisation)) == [mine]
    assert not Invoice.objects.for_organisation(None).exists()  # no organisation, no rows
