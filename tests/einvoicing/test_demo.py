import pytest
from django.core.management import call_command

from einvoicing import demo
from einvoicing.models import EInvoice, PlatformSettings
from invoices.models import Customer

from .flows import transmit_now

pytestmark = pytest.mark.django_db


def test_the_demo_shows_a_deposited_and_a_rejected_e_invoice_with_its_fix(platform_server):
    # As Procfile.dev starts it: the demo key, SIREN 632012100 ceased.
    platform_server.api_key = demo.API_KEY
    platform_server.invalid_sirens.add(demo.REJECTED_SIREN)
    call_command("seed_demo")
    platform = PlatformSettings.objects.get(organisation__slug=demo.DEMO_ORGANISATION)
    assert (platform.enabled, platform.base_url) == (True, demo.PLATFORM_URL)
    PlatformSettings.objects.filter(pk=platform.pk).update(base_url=platform_server.url)

    einvoices = [transmit_now(e) for e in EInvoice.objects.order_by("id")]

    assert [e.status for e in einvoices] == [EInvoice.Status.DEPOSITED, EInvoice.Status.FAILED]
    rejected = einvoices[1]
    assert rejected.lifecycle == "213"
    assert rejected.missing_fields[0]["field"] == "siren"
    Customer.objects.filter(pk=rejected.invoice.customer_id).update(siren="552032534")
    from activity import services as activity

    assert activity.retry_record(record=rejected, actor=None)
    assert transmit_now(rejected).status == EInvoice.Status.DEPOSITED
    assert len(platform_server.accepted_flows()) == 2
