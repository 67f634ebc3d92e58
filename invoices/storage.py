"""Where issued documents' PDFs are stored (invoices, credit notes)."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from activity import reasons
from activity.errors import Unreachable


def store_pdf(*, path: str, content: bytes) -> str:
    """Write the PDF at a fixed path, replacing a previous attempt's file (no duplicates)."""
    try:
        if default_storage.exists(path):
            default_storage.delete(path)
        return default_storage.save(path, ContentFile(content))
    except OSError as exc:
        raise Unreachable(
            "storage", f"{type(exc).__name__}: {exc}", reason=reasons.reason_of(exc)
        ) from exc
