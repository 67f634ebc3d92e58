"""Invoice PDFs with WeasyPrint.

Rendering never leaves the machine: the URL fetcher serves only our static and media
files (an invoice never fetches a remote URL). It is built through WeasyPrint's public
URLFetcher API with one SSL context per process: urllib would otherwise build one per
render (~20 ms) for handlers that are never used. Fonts are configured once per worker
process.
"""

import mimetypes
import ssl
from functools import cache
from pathlib import Path
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from accounts.models import company_settings_for

_font_config: FontConfiguration | None = None


def font_config() -> FontConfiguration:
    global _font_config
    if _font_config is None:
        _font_config = FontConfiguration()
    return _font_config


@cache
def _ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


class LocalFilesFetcher(URLFetcher):
    """Serves file:// URLs under our static and media roots; refuses everything else."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"file"}, ssl_context=_ssl_context())
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


def render_pdf(template: str, context: dict[str, object], *, language: str = "fr") -> bytes:
    with translation.override(language):
        html = render_to_string(template, context)
    document = HTML(
        string=html,
        base_url=Path(settings.MEDIA_ROOT).resolve().as_uri() + "/",
        url_fetcher=LocalFilesFetcher(),
    )
    return document.write_pdf(font_config=font_config())


def render_invoice_pdf(invoice) -> bytes:
    company = company_settings_for(invoice.organisation)
    logo_uri = ""
    if company.logo:
        logo_uri = Path(company.logo.path).resolve().as_uri()
    return render_pdf(
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
    )
