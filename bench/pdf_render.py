"""Invoice PDF rendering: our restricted fetcher and shared fonts vs WeasyPrint's defaults.

.venv/bin/python bench/pdf_render.py [N]      (N invoices, default 20)
"""

import ctypes.util
import sys
from io import BytesIO
from pathlib import Path

from _common import bench_database, row, timed
from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image
from weasyprint import HTML, __version__
from weasyprint.text.fonts import FontConfiguration

from accounts.models import company_settings_for
from invoices import pdf
from invoices.services import assign_invoice_number
from tests.factories import InvoiceFactory, OrganisationFactory


def main(count: int) -> None:
    harfbuzz = ctypes.util.find_library("harfbuzz-subset")
    print(f"# WeasyPrint {__version__}; libharfbuzz-subset: {harfbuzz or 'NOT FOUND'}")
    with bench_database():
        organisation = OrganisationFactory.create()
        company = company_settings_for(organisation)
        logo = BytesIO()
        Image.new("RGB", (240, 80), (30, 90, 160)).save(logo, "PNG")
        company.logo.save("logo.png", ContentFile(logo.getvalue()))
        invoices = []
        for n in range(count):
            lines = [(f"Prestation {n}.{i}", "2", "125.40", "20") for i in range(12)]
            invoice = InvoiceFactory.create(organisation=organisation, lines=lines)
            invoices.append(assign_invoice_number(invoice=invoice))
        contexts = [
            {
                "invoice": invoice,
                "lines": list(invoice.lines.all()),
                "breakdown": invoice.vat_breakdown(),
                "company": company,
                "customer": invoice.customer,
                "logo_uri": Path(company.logo.path).resolve().as_uri(),
            }
            for invoice in invoices
        ]
        base_url = Path(settings.MEDIA_ROOT).resolve().as_uri() + "/"

        def ours() -> None:
            for context in contexts:
                pdf.render_pdf("invoices/invoice_pdf.html", context, company=company)

        def defaults() -> None:
            from django.template.loader import render_to_string
            from django.utils import translation

            for context in contexts:
                with translation.override("fr"):
                    html = render_to_string("invoices/invoice_pdf.html", context)
                HTML(string=html, base_url=base_url).write_pdf(font_config=FontConfiguration())

        sample = pdf.render_pdf("invoices/invoice_pdf.html", contexts[0], company=company)
        assert sample.startswith(b"%PDF")
        ours_ms = timed(ours, repeat=3) / count
        defaults_ms = timed(defaults, repeat=3) / count
        print(f"# {count} invoices of 12 lines with a PNG logo, median of 3 runs")
        row("", "ms / PDF", "ratio")
        row("LocalFilesFetcher + shared FontConfiguration", f"{ours_ms:.1f}", "1.00")
        row(
            "default URLFetcher + new FontConfiguration",
            f"{defaults_ms:.1f}",
            f"{defaults_ms / ours_ms:.2f}",
        )
        print(f"# PDF size: {len(sample) / 1024:.0f} KiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
