"""Invoice PDFs with WeasyPrint.

Rendering never leaves the machine: the URL fetcher serves only our static files and the
media files the rendering organisation named (its own logo), never another organisation's
upload (an invoice never fetches a remote URL). It is built through WeasyPrint's public
URLFetcher API with one SSL context per process: urllib would otherwise build one per
render (~20 ms) for handlers that are never used. Fonts are configured once per worker
process.
"""

import mimetypes
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from accounts.models import company_settings_for

from . import extensions

_font_config: FontConfiguration | None = None
T = TypeVar("T")


def font_config() -> FontConfiguration:
    global _font_config
    if _font_config is None:
        _font_config = FontConfiguration()
    return _font_config


@cache
def _ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


@cache
def _static_roots(static_root: str, staticfiles_dirs: tuple[str, ...]) -> tuple[Path, ...]:
    """The static roots, resolved once per process (and per settings, for the tests)."""
    return tuple(Path(d).resolve() for d in (static_root, *staticfiles_dirs))


class LocalFilesFetcher(URLFetcher):
    """Serves file:// URLs under our static roots and the given media files; refuses the rest.

    MEDIA_ROOT holds every organisation's uploads (logos, PDFs, support attachments), so
    it is never allowed as a whole: the caller names the rendering organisation's files.
    """

    def __init__(self, media_files: tuple[Path, ...] = ()) -> None:
        super().__init__(allowed_protocols={"file"}, ssl_context=_ssl_context())
        self.roots = _static_roots(str(settings.STATIC_ROOT), tuple(settings.STATICFILES_DIRS))
        self.files = {Path(f).resolve() for f in media_files}

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        if not url.startswith("file:"):
            raise ValueError(f"Remote resources are not fetched in PDFs: {url}")
        path = Path(url2pathname(url.split("?")[0].removeprefix("file:"))).resolve()
        allowed = path in self.files or any(path.is_relative_to(root) for root in self.roots)
        if not allowed:
            raise ValueError(f"File outside static files and this organisation's media: {path}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type}, 200)


def organisation_media(company) -> tuple[Path, ...]:
    """The media files a document of ``company``'s organisation may embed: its logo."""
    return (Path(company.logo.path),) if company.logo else ()


def _fresh_stack_trampoline() -> Callable[[Callable[[], T]], T]:
    # A frame of ~36 KB (4,500 local slots, never assigned) does not fit in CPython's
    # 16 KB data-stack chunks: calling it allocates a fresh 64 KB chunk, and the function
    # it calls starts near that chunk's beginning with ~28 KB of room.
    names = " = ".join(f"_{i}" for i in range(4500))
    source = (
        "def on_fresh_data_stack(function, _never=False):\n"
        f"    if _never:\n        {names} = None\n"
        "    return function()\n"
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, __file__, "exec"), namespace)  # noqa: S102 (our own constant code)
    return namespace["on_fresh_data_stack"]


# on_fresh_data_stack(function) calls function() at the start of a fresh CPython
# data-stack chunk. CPython 3.12 keeps Python frames in 16 KB chunks and unmaps a chunk as
# soon as the last frame in it returns. WeasyPrint's layout recurses deeply and quickly:
# when a chunk boundary falls inside the depths it oscillates through, every crossing maps
# and unmaps a chunk. Measured on a one-page invoice, the same render took 51 to 65 ms
# depending only on the depth of the caller's stack (1,500 minor page faults per render
# instead of 40): that was issue 15's "WeasyPrint slower inside the task". Started here,
# every render takes the fast path whatever the caller's depth (tests/invoices/test_pdf_stack.py;
# bench/pipeline.py runs its floor the same way).
on_fresh_data_stack = _fresh_stack_trampoline()


def _one_reference_per_file(document, pdf) -> None:
    """WeasyPrint 70 lists each associated file of a PDF/A-3 twice in the catalog's /AF
    (from the embedded files' name tree, then as a file specification): keep one."""
    associated = pdf.catalog.get("AF")
    if associated:
        pdf.catalog["AF"] = type(associated)(dict.fromkeys(associated))


@dataclass(frozen=True)
class PdfSource:
    """A document ready for WeasyPrint: its HTML and the only media files it may embed."""

    html: str
    media: tuple[Path, ...] = ()

    def html_document(self) -> HTML:
        return HTML(
            string=self.html,
            base_url=Path(settings.MEDIA_ROOT).resolve().as_uri() + "/",
            url_fetcher=LocalFilesFetcher(self.media),
        )

    def write(
        self, *, pdf_variant: str | None = None, prepare: Callable[[Any], None] | None = None
    ) -> bytes:
        """The PDF; ``prepare(rendered)`` may complete the rendered WeasyPrint document
        (attachments, metadata) before it is written."""
        html = self.html_document()

        def render_and_write() -> bytes:
            rendered = html.render(font_config=font_config(), pdf_variant=pdf_variant)
            if prepare is not None:
                prepare(rendered)
            return rendered.write_pdf(pdf_variant=pdf_variant, finisher=_one_reference_per_file)

        return on_fresh_data_stack(render_and_write)


def pdf_source(
    template: str, context: dict[str, object], *, company=None, language: str = "fr"
) -> PdfSource:
    """The HTML of a document of ``company``'s organisation: its logo is the only media
    file the fetcher may read, and the template gets it as ``logo_uri``."""
    media = organisation_media(company) if company is not None else ()
    if company is not None:
        context = {**context, "logo_uri": media[0].resolve().as_uri() if media else ""}
    with translation.override(language):
        return PdfSource(render_to_string(template, context), media)


def render_pdf(
    template: str,
    context: dict[str, object],
    *,
    company=None,
    language: str = "fr",
    record=None,
) -> bytes:
    """Render a document of ``company``'s organisation (see ``pdf_source``), completed by
    the registered finisher for ``record`` (Factur-X) when there is one."""
    source = pdf_source(template, context, company=company, language=language)
    return write_finished(source, record)


def write_finished(source: PdfSource, record=None) -> bytes:
    finisher = extensions.pdf_finisher() if record is not None else None
    if finisher is None:
        return source.write()
    return source.write(
        pdf_variant=finisher.pdf_variant,
        prepare=lambda rendered: finisher.prepare(record, rendered),
    )


def parties_context(*, seller: dict, buyer: dict) -> dict[str, object]:
    """The seller and buyer blocks of pdf/base.html, from a document's snapshot."""
    from .mentions import has_delivery_address

    capital = seller.get("share_capital")
    return {
        "seller": seller,
        "buyer": buyer,
        "capital": Decimal(capital) if capital not in (None, "") else None,
        "penalty_rate": Decimal(seller.get("late_penalty_rate") or "0"),
        "delivery_address": has_delivery_address(buyer),
    }


def invoice_pdf_source(invoice, company=None) -> PdfSource:
    """The issued invoice's HTML, from its own snapshot: editing the customer or the
    company settings afterwards never changes the document."""
    from .mentions import invoice_vat_wordings

    lines = list(invoice.lines.all())
    language = invoice.buyer.get("language") or "fr"
    with translation.override(language):
        wordings = invoice_vat_wordings(lines, seller=invoice.seller, buyer=invoice.buyer)
    return pdf_source(
        "invoices/invoice_pdf.html",
        {
            **parties_context(seller=invoice.seller, buyer=invoice.buyer),
            "invoice": invoice,
            "lines": lines,
            "breakdown": invoice.vat_breakdown(),
            "vat_wordings": wordings,
        },
        company=company or company_settings_for(invoice.organisation),
        language=language,
    )


def render_invoice_pdf(invoice, company=None) -> bytes:
    """The invoice's PDF, finished by the registered finisher (Factur-X) when there is one."""
    return write_finished(invoice_pdf_source(invoice, company), invoice)
