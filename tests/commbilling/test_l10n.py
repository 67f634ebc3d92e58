"""Numbers, amounts, percentages and dates in the reader's language (commbilling.l10n)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from commbilling import l10n

NNBSP = "\u202f"
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (Decimal("2269.2"), "fr", f"2{NNBSP}269,20{NBSP}€"),
        (Decimal("2269.2"), "en", "€2,269.20"),
        (Decimal("1234567.891"), "fr", f"1{NNBSP}234{NNBSP}567,89{NBSP}€"),
        (Decimal("0.005"), "fr", f"0,01{NBSP}€"),  # half-up, not truncated
        (Decimal("999.995"), "en", "€1,000.00"),
        (Decimal("-12"), "fr", f"-12,00{NBSP}€"),
        (Decimal("-12"), "en", "-€12.00"),
        (Decimal("-0.001"), "fr", f"0,00{NBSP}€"),  # no "-0,00"
        (500, "fr", f"500,00{NBSP}€"),
        ("40.5", "fr", f"40,50{NBSP}€"),
        (None, "fr", ""),
    ],
)
def test_amounts_are_written_as_the_language_writes_them(value, lang, expected):
    assert l10n.format_amount(value, lang=lang) == expected


def test_another_currency_keeps_its_symbol():
    assert l10n.format_amount(Decimal("10"), "usd", lang="fr") == f"10,00{NBSP}$"
    assert l10n.format_amount(Decimal("10"), "CHF", lang="en") == f"CHF{NBSP}10.00"


@pytest.mark.parametrize(
    ("value", "places", "lang", "expected"),
    [
        (Decimal("1200.500"), None, "fr", f"1{NNBSP}200,5"),
        (Decimal("1200.500"), None, "en", "1,200.5"),
        (Decimal("2.000"), None, "fr", "2"),
        (Decimal("1658"), 2, "fr", f"1{NNBSP}658,00"),
        (Decimal("1658"), 2, "en", "1,658.00"),
        (1000000, None, "fr", f"1{NNBSP}000{NNBSP}000"),
        (0.1, 2, "fr", "0,10"),
        (Decimal("-1234.5"), 1, "fr", f"-1{NNBSP}234,5"),
    ],
)
def test_numbers_group_thousands_and_use_the_decimal_mark(value, places, lang, expected):
    assert l10n.format_number(value, places, lang=lang) == expected


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (Decimal("5.50"), "fr", f"5,5{NBSP}%"),
        (Decimal("2.10"), "fr", f"2,1{NBSP}%"),
        (Decimal("20.00"), "fr", f"20{NBSP}%"),
        (Decimal("0"), "fr", f"0{NBSP}%"),
        (Decimal("5.50"), "en", "5.5%"),
    ],
)
def test_percentages_keep_significant_decimals_only(value, lang, expected):
    assert l10n.format_percent(value, lang=lang) == expected


def test_csv_numbers_have_the_decimal_mark_and_no_grouping():
    assert l10n.format_csv_number(Decimal("2269.2"), lang="fr") == "2269,20"
    assert l10n.format_csv_number(Decimal("2269.2"), lang="en") == "2269.20"


def test_datetimes_are_shown_in_local_time(settings):
    settings.TIME_ZONE = "Europe/Paris"
    moment = dt.datetime(2026, 11, 27, 19, 16, tzinfo=dt.UTC)  # 20:16 in Paris (UTC+1)

    assert l10n.format_datetime(moment, lang="fr") == "27/11/2026 20:16"
    assert l10n.format_datetime(moment, lang="en") == "27 Nov 2026 20:16"
    # 23:30 UTC is already the next day in Paris.
    late = dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC)
    assert l10n.format_date(late, lang="fr") == "28/11/2026"
    assert l10n.format_date(dt.date(2026, 11, 27), lang="en") == "27 Nov 2026"
    assert l10n.format_date(None) == ""


def test_the_language_argument_leaves_the_active_language_alone():
    with translation.override("en"):
        assert l10n.format_amount(1, lang="fr") == f"1,00{NBSP}€"
        assert translation.get_language() == "en"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500,00", Decimal("500.00")),
        ("1 200,5", Decimal("1200.5")),
        (f"1{NBSP}200,50", Decimal("1200.50")),
        (f"1{NNBSP}200,50", Decimal("1200.50")),
        ("1200.5", Decimal("1200.5")),
        ("1,200.50", Decimal("1200.50")),
        ("1.200,50", Decimal("1200.50")),
        ("1.200.000", Decimal("1200000")),
        ("-3,5", Decimal("-3.5")),
        ("\u22123,5", Decimal("-3.5")),
        ("500,00 €", Decimal("500.00")),
        ("5,5 %", Decimal("5.5")),
        (" 42 ", Decimal("42")),
        (",5", Decimal("0.5")),
    ],
)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_it_reads_french_and_english_writing(text, expected, lang):
    with translation.override(lang):
        assert l10n.parse_decimal(text) == expected


def test_a_lone_comma_before_three_digits_is_decimal_in_french_and_grouping_in_english():
    with translation.override("fr"):
        assert l10n.parse_decimal("1,200") == Decimal("1.200")
    with translation.override("en"):
        assert l10n.parse_decimal("1,200") == Decimal("1200")


@pytest.mark.parametrize(
    "text", ["", "abc", "1,2,3.4", "12,34,567", "1e5", "-", ",", "1.2.3,4,5", "NaN"]
)
def test_it_refuses_what_is_not_a_number(text):
    with pytest.raises(ValueError, match="not a number"):
        l10n.parse_decimal(text)


def _render(source: str, lang: str, **context) -> str:
    with translation.override(lang):
        return Template(source).render(Context(context))


def test_the_filters_need_no_load_and_follow_the_active_language():
    source = (
        "{{ a|money }}|{{ q|number }}|{{ q|number:2 }}|{{ r|percent }}"
        "|{{ d|local_date }}|{{ t|local_datetime }}"
    )
    context = {
        "a": Decimal("2269.2"),
        "q": Decimal("1200.500"),
        "r": Decimal("5.50"),
        "d": dt.date(2026, 11, 27),
        "t": dt.datetime(2026, 11, 27, 19, 16, tzinfo=dt.UTC),
    }

    french = _render(source, "fr", **context)
    english = _render(source, "en", **context)

    assert french == (
        f"2{NNBSP}269,20{NBSP}€|1{NNBSP}200,5|1{NNBSP}200,50|5,5{NBSP}%|27/11/2026|27/11/2026 20:16"
    )
    assert english == "€2,269.20|1,200.5|1,200.50|5.5%|27 Nov 2026|27 Nov 2026 20:16"


def test_a_plain_date_in_a_template_reads_day_month_year():
    assert _render("{{ d }}", "fr", d=dt.date(2026, 11, 27)) == "27/11/2026"


def test_the_filters_print_nothing_for_empty_values():
    assert _render("[{{ a|money }}{{ a|percent }}{{ a|local_date }}]", "fr", a=None) == "[]"
