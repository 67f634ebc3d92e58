import random

import pytest

from accounts.models import Role
from support import demo
from support.models import Ticket
from tests.factories import UserFactory
from tests.support.helpers import failed_invoice

pytestmark = pytest.mark.django_db


def test_the_demo_has_tickets_in_every_state_and_one_linked_to_a_failed_invoice(
    organisation, accountant, support_user, django_capture_on_commit_callbacks
):
    invoice, _ = failed_invoice(organisation)
    with django_capture_on_commit_callbacks(execute=False):  # no e-mail from the demo
        demo.seed(organisation=organisation, rng=random.Random(1))
    tickets = Ticket.objects.for_organisation(organisation)
    assert set(tickets.values_list("status", flat=True)) == set(Ticket.Status.values)
    linked = tickets.get(object_id=invoice.pk)
    assert linked.activity is not None
    assert linked.messages.filter(is_internal=True).exists()
    assert tickets.filter(breached_at__isnull=False).exists()
    assert tickets.filter(messages__is_internal=False).exists()


def test_the_demo_does_nothing_without_users(organisation):
    UserFactory(organisation=organisation, role=Role.ACCOUNTANT)
    demo.seed(organisation=organisation, rng=random.Random(1))
    assert not Ticket.objects.exists()
