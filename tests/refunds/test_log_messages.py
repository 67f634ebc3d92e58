"""Refund history is stored as codes with amounts as numbers, shown in the reader's format."""

from decimal import Decimal

import pytest
from django.utils import translation

from activity.models import ActivityLog
from refunds import services

from .conftest import paid_invoice

pytestmark = pytest.mark.django_db
NBSP, NNBSP = "\u00a0", "\u202f"


def test_a_refund_request_keeps_its_amount_as_a_number(accountant):
    invoice = paid_invoice(accountant.organisation, paid="1240.00")

    refund = services.request_refund(
        invoice=invoice, amount=Decimal("1200.5"), reason="Geste", requested_by=accountant
    )

    entry = ActivityLog.objects.for_record(refund).latest("id")
    assert entry.message_params["amount"] in ("1200.50", "1200.5")
    with translation.override("fr"):
        french = entry.display_message
    with translation.override("en"):
        english = entry.display_message
    assert f"1{NNBSP}200,50{NBSP}€" in french
    assert "€1,200.50" in english
