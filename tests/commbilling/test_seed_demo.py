import pytest
from django.core.management import call_command

from accounts.models import Organisation, User
from activity.models import Alert
from invoices.models import Invoice

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_two_organisations_with_records_in_every_state_once(capsys):
    call_command("seed_demo")
    call_command("seed_demo")  # a second run changes nothing

    assert Organisation.objects.count() == 2
    assert set(User.objects.values_list("username", flat=True)) >= {
        "comptable",
        "comptable2",
        "support",
        "admin",
    }
    statuses = set(Invoice.objects.values_list("status", flat=True))
    assert {"draft", "failed"} <= statuses
    assert statuses & {"generated", "sent", "paid"}
    assert Alert.objects.open().exists()
    for org in Organisation.objects.all():
        # Atelier Dupont also has its e-invoicing draft to the demo business customer.
        expected = 21 if org.slug == "atelier-dupont" else 20
        assert Invoice.objects.for_organisation(org).count() == expected
    assert "comptable" in capsys.readouterr().out
