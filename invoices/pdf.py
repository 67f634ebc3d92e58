"""Invoice PDFs with WeasyPrint.

Rendering never leaves the machine: the URL fetcher serves only our static and media
files (an invoice never fetches a remote URL, and skipping urllib's opener also saves the
~20 ms per render it spends building an SSL context). Fonts are configured once per
worker process.
"""

import mimetypes
from pathlib import Path
from urllib.request import OpenerDirector, url2pathname

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

_font_config: FontConfiguration | None = None


def font_config() -> FontConfiguration:
    global _font_config
    if _font_config is None:
        _font_config = FontConfiguration()
    return _font_config


class LocalFilesFetcher(URLFetcher):
    """Serves file:// URLs under our static and media roots; refuses everything else."""

    def __init__(self) -> None:
        OpenerDirector.__init__(self)  # no handlers: nothing is ever opened through urllib
        self._timeout = 0
        self._http_headers: dict[str, str] = {}
        self._allowed_protocols = {"file"}
        self._fail_on_errors = False
        self._request = None
        roots = [Path(settings.MEDIA_ROOT), Path(settings.STATIC_ROOT)]
        roots += [Path(d) for d in settings.STATICFILES_DIRS]
        self.roots = [root.resolve() for root in roots]

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if not url.startswith("file:"):
            raise ValueError(f"Remote resources are not fetched in PDFs: {url}")
        path = Path(url2pathname(url.split("?")[0].removeprefix("file:"))).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise ValueError(f"File outside static and media roots: {path}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type}, 200)


def static_file_uri(name: str) -> str:
    found = finders.find(name)
    return Path(found).resolve().as_uri() if found else ""


def render_pdf(
    template: str,
    context: dict[str, object],
    *,
    language: str = "fr",
    pdf_variant: str | None = None,
) -> bytes:
    with translation.override(language):
        html = render_to_string(template, context)
    document = HTML(
        string=html,
        base_url=Path(settings.MEDIA_ROOT).resolve().as_uri() + "/",
        url_fetcher=LocalFilesFetcher(),
    )
    return document.write_pdf(font_config=font_config(), pdf_variant=pdf_variant)


def render_invoice_pdf(invoice) -> bytes:
    from .services import company_settings_for

    company = company_settings_for(invoice.organisation)
    logo_uri = ""
    if company.logo:
        logo_uri = Path(company.logo.path).resolve().as_uri()
    from einvoicing.facturx import PDF_VARIANT, invoice_facturx

    pdf = render_pdf(
        "invoices/invoice_pdf.html",
        {
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
            "breakdown": invoice.vat_breakdown(),
            "company": company,
            "customer": invoice.customer,
            "logo_uri": logo_uri,
        },
        language=invoice.customer.language or "fr",
        pdf_variant=PDF_VARIANT,
    )
    # Every invoice is a Factur-X: the PDF/A-3b with its EN 16931 XML embedded.
    return invoice_facturx(invoice, pdf)
