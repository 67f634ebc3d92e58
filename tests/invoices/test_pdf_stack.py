"""A render does not depend on how deep its caller's stack is (issue 15's "WeasyPrint
slower inside the task"): CPython 3.12 unmaps a 16 KB data-stack chunk as soon as its
last frame returns, and WeasyPrint's recursion, oscillating across a chunk boundary, mapped
and unmapped one on every crossing. ``PdfSource.write`` starts the render on a fresh
chunk. Counted in minor page faults (each mapped chunk faults its pages in), not seconds.
"""

import resource
import statistics

import pytest

from invoices import pdf, services
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

LINES = [
    ("Conseil en organisation (jours)", "3", "650.00", "20"),
    ("Licence logicielle annuelle", "1", "1200.00", "20"),
    ("Ouvrage technique", "2", "45.00", "5.5"),
]


def _at_depth(depth: int, function):
    """``function()`` called ``depth`` frames deeper, each frame ~60 slots (480 bytes): 40
    depths span 19 KB of data stack, more than a chunk, so one of them puts the chunk
    boundary wherever the render's recursion oscillates."""
    if depth == 0:
        return function()
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = a8 = a9 = b0 = b1 = b2 = b3 = b4 = b5 = 0
    c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = d0 = d1 = d2 = d3 = d4 = d5 = 0
    e0 = e1 = e2 = e3 = e4 = e5 = e6 = e7 = e8 = e9 = f0 = f1 = f2 = f3 = f4 = f5 = 0
    g0 = g1 = g2 = g3 = g4 = g5 = g6 = g7 = g8 = g9 = 0
    del a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, b0, b1, b2, b3, b4, b5
    del c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, d0, d1, d2, d3, d4, d5
    del e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, f0, f1, f2, f3, f4, f5
    del g0, g1, g2, g3, g4, g5, g6, g7, g8, g9
    return _at_depth(depth - 1, function)


def _faults(function) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    function()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def _source():
    invoice = InvoiceFactory.create(lines=LINES)
    services.issue_invoice(invoice=invoice, actor=None)
    invoice = services.assign_invoice_number(invoice=invoice)
    return pdf.invoice_pdf_source(invoice)


def test_a_render_costs_the_same_at_every_caller_depth():
    source = _source()
    source.write(pdf_variant="pdf/a-3b")  # warm-up: fonts, caches, the allocator's arenas
    faults = {
        depth: _faults(
            lambda depth=depth: _at_depth(depth, lambda: source.write(pdf_variant="pdf/a-3b"))
        )
        for depth in range(40)
    }
    # On the fresh chunk: 14 to 18 faults at almost every depth (a rare few hundred when
    # the allocator returns an arena meanwhile). Without it, measured on the development
    # machine: median 560, 20 depths of 40 above 400, up to 3,755.
    costly = sorted(depth for depth, count in faults.items() if count > 400)
    assert statistics.median(faults.values()) < 100, faults
    assert len(costly) <= 4, {depth: faults[depth] for depth in costly}


def test_the_trampoline_returns_what_the_function_returns_and_raises_what_it_raises():
    assert pdf.on_fresh_data_stack(lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        pdf.on_fresh_data_stack(lambda: 1 / 0)
