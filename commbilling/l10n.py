"""Numbers, amounts, percentages and dates as the reader's language writes them.

One module for every output (pages, PDFs, e-mails, CSV, log messages) and every input
(form fields), so that "2 269,20 €" and "€2,269.20" are written and read in one place.
The language is the active one (``translation.override`` in e-mails and PDFs), or the
``lang`` argument.

French typography: a narrow no-break space (U+202F) groups thousands, a no-break space
(U+00A0) separates a number from its unit (``€``, ``%``); the decimal mark is a comma.
"""

from __future__ import annotations

import datetime as dt
import re
from contextlib import AbstractContextManager, nullcontext
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import formats, timezone, translation

NNBSP = "\u202f"  # narrow no-break space: thousands in French
NBSP = "\u00a0"  # no-break space: before a unit or « : ; ! ? »

Number = Decimal | int | float | str

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


def _language(lang: str | None) -> AbstractContextManager[None]:
    return translation.override(lang) if lang else nullcontext()


def _is_french() -> bool:
    return (translation.get_language() or "fr").split("-")[0] == "fr"


def _to_decimal(value: Number) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _digits(value: Decimal, places: int | None) -> tuple[str, str, str]:
    """(sign, integer digits, decimal digits) of ``value`` rounded half-up to ``places``.

    ``places=None`` keeps the significant decimals only: 5.50 -> "5", "5"; 20.00 -> "20", "".
    """
    if places is None:
        text = f"{abs(value):f}"
        integer, _, decimals = text.partition(".")
        decimals = decimals.rstrip("0")
    else:
        exponent = Decimal(1).scaleb(-places)
        text = f"{abs(value.quantize(exponent, rounding=ROUND_HALF_UP)):f}"
        integer, _, decimals = text.partition(".")
    sign = "-" if value < 0 and (int(integer) or decimals.strip("0")) else ""
    return sign, integer, decimals


def _group(integer: str, separator: str) -> str:
    groups: list[str] = []
    while len(integer) > 3:
        integer, tail = integer[:-3], integer[-3:]
        groups.insert(0, tail)
    return separator.join([integer, *groups])


def format_number(
    value: Number | None,
    places: int | None = None,
    *,
    grouping: bool = True,
    lang: str | None = None,
) -> str:
    """``1200.5`` -> "1 200,5" (fr) / "1,200.5" (en); ``places`` fixes the decimals.

    ``None`` and "" give "" so that an empty field prints nothing.
    """
    if value is None or value == "":
        return ""
    with _language(lang):
        sign, integer, decimals = _digits(_to_decimal(value), places)
        if _is_french():
            thousands, mark = NNBSP, ","
        else:
            thousands, mark = ",", "."
    if grouping:
        integer = _group(integer, thousands)
    return f"{sign}{integer}{mark}{decimals}" if decimals else f"{sign}{integer}"


def format_amount(value: Number | None, currency: str = "EUR", *, lang: str | None = None) -> str:
    """``2269.2`` -> "2 269,20 €" (fr) / "€2,269.20" (en); always two decimals."""
    if value is None or value == "":
        return ""
    symbol = CURRENCY_SYMBOLS.get(currency.upper(), currency.upper())
    with _language(lang):
        number = format_number(value, 2)
        french = _is_french()
    if french:
        return f"{number}{NBSP}{symbol}"
    sign, number = ("-", number[1:]) if number.startswith("-") else ("", number)
    return f"{sign}{symbol}{number}" if len(symbol) == 1 else f"{sign}{symbol}{NBSP}{number}"


def format_percent(value: Number | None, *, lang: str | None = None) -> str:
    """``5.50`` -> "5,5 %" (fr) / "5.5%" (en): significant decimals only."""
    if value is None or value == "":
        return ""
    with _language(lang):
        number = format_number(value)
        french = _is_french()
    return f"{number}{NBSP}%" if french else f"{number}%"


def format_csv_number(
    value: Number | None, places: int | None = 2, *, lang: str | None = None
) -> str:
    """A number a spreadsheet of that language reads as a number: "2269,20" (fr), "2269.20" (en).

    No thousands separator: spreadsheets take a space-grouped number for text.
    """
    return format_number(value, places, grouping=False, lang=lang)


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def format_date(value: dt.date | dt.datetime | None, *, lang: str | None = None) -> str:
    """27/11/2026 (fr) / 27 Nov 2026 (en); a datetime gives its local date."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = _local(value).date()
    with _language(lang):
        return formats.date_format(value, "DATE_FORMAT")


def format_datetime(value: dt.datetime | None, *, lang: str | None = None) -> str:
    """27/11/2026 20:16 (fr) / 27 Nov 2026 20:16 (en), in the local time zone (TIME_ZONE)."""
    if value is None:
        return ""
    with _language(lang):
        return formats.date_format(_local(value), "DATETIME_FORMAT")


# --- French typography -------------------------------------------------------------

_VOWELS = set("aeiouyàâäéèêëîïôöùûüœæAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŒÆ")


def label_colon(*, lang: str | None = None) -> str:
    """The colon after a label: "Payé : " in French (no-break space before), "Paid: " in English."""
    with _language(lang):
        return f"{NBSP}:" if _is_french() else ":"


def vowel_initial(name: str) -> bool:
    """Whether a name begins with a vowel, where French elides "de" and "le" ("d'Atelier").

    Messages choose between two translations with it (pgettext context "vowel"), so that each
    language decides: English reads "from Atelier" either way.
    """
    return bool(name) and str(name).lstrip()[:1] in _VOWELS


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\s\u00a0]+(?=[\"«(\[]?[^\W\d_]*[A-ZÀ-ÖØ-Þ0-9])")


def shorten_by_sentence(text: str, limit: int) -> str:
    """The first sentences of ``text`` that fit in ``limit`` characters, never a cut sentence.

    The first sentence is kept whole even when it is longer: a message is shortened, not
    truncated. Give the reader the full text one click away (templates: ``{% shorten %}``).
    """
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    sentences = _SENTENCE_END.split(text)
    kept = sentences[0]
    for sentence in sentences[1:]:
        if len(kept) + 1 + len(sentence) > limit:
            break
        kept = f"{kept} {sentence}"
    return kept


# --- Reading what people type ------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u202f\u2007\u2009']")


def parse_decimal(text: str) -> Decimal:
    """Read "1 200,50", "1 200,50" (any space), "1200.5", "1,200.50", "-3,5" or "500,00 €".

    The rightmost of "," and "." is the decimal mark when both appear; a mark repeated
    ("1.200.000") groups thousands; a lone "," followed by three digits in English
    ("1,200") groups thousands, in French it is the decimal mark. Groups have three digits.
    Raises ``ValueError``.
    """
    body = _SPACES.sub("", str(text)).replace("\u2212", "-").removesuffix("€").removesuffix("%")
    sign = ""
    if body[:1] in ("+", "-"):
        sign, body = body[0].replace("+", ""), body[1:]
    mark: str | None = None
    group: str | None = None
    if "," in body and "." in body:
        mark = "," if body.rfind(",") > body.rfind(".") else "."
        group = "." if mark == "," else ","
    elif body.count(",") > 1 or body.count(".") > 1:
        group = "," if "," in body else "."
    elif "," in body:
        if not _is_french() and re.fullmatch(r"\d{1,3},\d{3}", body):
            group = ","
        else:
            mark = ","
    elif "." in body:
        mark = "."
    integer, _, decimals = body.partition(mark) if mark else (body, "", "")
    if group and group in integer:
        if not re.fullmatch(rf"\d{{1,3}}(\{group}\d{{3}})+", integer):
            raise ValueError(f"not a number: {text!r}")
        integer = integer.replace(group, "")
    if not re.fullmatch(r"\d*", integer) or not re.fullmatch(r"\d*", decimals):
        raise ValueError(f"not a number: {text!r}")
    if not (integer or decimals):
        raise ValueError(f"not a number: {text!r}")
    try:
        return Decimal(f"{sign}{integer or '0'}.{decimals or '0'}" if mark else f"{sign}{integer}")
    except InvalidOperation as error:
        raise ValueError(f"not a number: {text!r}") from error
