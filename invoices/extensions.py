"""What apps above invoices add to it, registered when Django starts (as activity.holds).

Invoices calls these and never names the apps behind them (see the layering test):

- a PDF finisher completes the rendered document of an invoice or a credit note before
  WeasyPrint writes it (e-invoicing writes it as PDF/A-3b with the Factur-X XML);
- readiness checks add the problems that block the issue of a draft (e-invoicing's
  EN 16931 rules for an invoice going through the platform), and name the related
  objects they read so that the generation loads them with the invoice;
- list filters add a filter to the Factures tab (by e-invoicing status);
- row badges add a compact badge to each row of that list (its e-invoicing status).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils.functional import Promise

if TYPE_CHECKING:
    from activity.errors import FieldProblem

    from .models import Invoice


@dataclass(frozen=True)
class PdfFinisher:
    # The PDF variant WeasyPrint renders (e.g. "pdf/a-3b"), None for a plain PDF.
    pdf_variant: str | None
    # (the invoice or credit note, its rendered WeasyPrint document) → None: adds what the
    # written PDF carries (attachments, metadata) before it is written.
    prepare: Callable[[Any, Any], None]


# (draft or invoice) → (missing data, wrong settings), like invoices.services' own checks.
ReadinessCheck = Callable[["Invoice"], tuple[list["FieldProblem"], list["FieldProblem"]]]


@dataclass(frozen=True)
class ListFilter:
    param: str  # the query parameter, e.g. "einvoice"
    label: str | Promise
    choices: Callable[[], list[tuple[str, Any]]]
    condition: Callable[[str], Q | None]  # None: not a known value, the filter is off


@dataclass(frozen=True)
class RowBadge:
    label: str | Promise
    css: str  # the badge's class, e.g. "einvoice-ok"
    title: str | Promise = ""  # the longer text, shown on hover and read by screen readers


# (the organisation, the invoices of one page) → a badge per invoice id, read in a fixed
# number of queries whatever the page's length (never one per row).
RowBadges = Callable[[Any, list["Invoice"]], dict[int, RowBadge]]


_finisher: PdfFinisher | None = None
_checks: list[ReadinessCheck] = []
_check_reads: list[str] = []
_filters: dict[str, ListFilter] = {}
_badges: list[RowBadges] = []


def register_pdf_finisher(finisher: PdfFinisher) -> None:
    global _finisher
    _finisher = finisher


def pdf_finisher() -> PdfFinisher | None:
    return _finisher


def register_readiness_check(check: ReadinessCheck, *, reads: tuple[str, ...] = ()) -> None:
    """``reads``: the invoice's related objects the check reads, as ``select_related``
    paths (e.g. ``"organisation__platform_settings"``): the generation reads them in the
    same query as the invoice."""
    if check not in _checks:
        _checks.append(check)
    _check_reads.extend(path for path in reads if path not in _check_reads)


def readiness_checks() -> list[ReadinessCheck]:
    return list(_checks)


def readiness_reads() -> list[str]:
    """The related objects the registered readiness checks read (``select_related`` paths)."""
    return list(_check_reads)


def register_list_filter(list_filter: ListFilter) -> None:
    _filters[list_filter.param] = list_filter


def list_filters() -> list[ListFilter]:
    return list(_filters.values())


def register_row_badges(badges: RowBadges) -> None:
    if badges not in _badges:
        _badges.append(badges)


def row_badges() -> list[RowBadges]:
    return list(_badges)
