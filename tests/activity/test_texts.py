"""Log messages as a code and parameters, written in the reader's language when read."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from activity import texts

NBSP, NNBSP = "\u00a0", "\u202f"

REFUND = texts.define(
    "tests.refund_requested",
    _("Refund of %(amount)s requested"),
    amount=texts.MONEY,
    legacy=r"Refund of (?P<amount>[\d.]+) € requested",
)
COMPLETED = texts.define(
    "tests.customer_completed",
    _("Customer %(customer)s completed by %(actor)s: %(fields)s"),
    fields=texts.fields("invoices.Customer"),
    legacy=r"Customer (?P<customer>.+) completed by (?P<actor>\S+): (?P<fields>.+)",
)
AT = texts.define("tests.at", "Sent at %(at)s", at=texts.DATETIME)


def test_a_message_keeps_its_code_and_json_parameters():
    message = REFUND(amount=Decimal("1200.50"))

    assert message.code == "tests.refund_requested"
    assert message.params == {"amount": "1200.50"}


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fr", f"Remboursement de 1{NNBSP}200,50{NBSP}€ demandé"),
     ("en", "Refund of €1,200.50 requested")],
)  # fmt: skip
def test_it_is_written_in_the_reader_s_language(lang, expected):
    message = REFUND(amount=Decimal("1200.50"))

    with translation.override(lang):
        assert str(message) == expected
    assert message.english() == "Refund of €1,200.50 requested"


def test_field_names_read_as_their_verbose_names():
    message = COMPLETED(customer="ACME", actor="claire", fields=["street", "postal_code"])

    with translation.override("fr"):
        assert str(message) == f"Client ACME complété par claire{NBSP}: rue et code postal"
    assert message.english() == "Customer ACME completed by claire: street and postal code"


def test_dates_are_local_and_formatted(settings):
    settings.TIME_ZONE = "Europe/Paris"
    message = AT(at=dt.datetime(2026, 11, 27, 19, 16, tzinfo=dt.UTC))

    with translation.override("fr"):
        assert str(message) == "Sent at 27/11/2026 20:16"


def test_an_english_row_written_before_codes_is_read_in_french():
    with translation.override("fr"):
        shown = texts.display(code="", params={}, stored="Refund of 500.00 € requested")
        legacy_fields = texts.display(
            code="", params={}, stored="Customer ACME completed by claire: street, city"
        )

    assert shown == f"Remboursement de 500,00{NBSP}€ demandé"
    assert legacy_fields == f"Client ACME complété par claire{NBSP}: rue et ville"


def test_an_unknown_code_falls_back_to_the_stored_text():
    assert texts.display(code="gone.code", params={}, stored="as written") == "as written"


def test_a_parameter_no_message_expects_is_refused():
    with pytest.raises(TypeError, match="unknown parameters"):
        REFUND(amount=1, colour="blue")


@pytest.mark.django_db
def test_the_activity_log_shows_an_english_entry_in_french(
    settings, accountant_client, organisation
):
    from activity import services
    from tests.factories import InvoiceFactory

    settings.LANGUAGE_CODE = "fr"
    invoice = InvoiceFactory(organisation=organisation)
    services.log_event(
        record=invoice,
        process=invoice.process.name,
        event="queued",
        message="Retry requested by claire",
    )

    html = accountant_client.get("/activity/").content.decode()

    assert "Nouvelle tentative demandée par claire" in html
    assert "Retry requested by" not in html
