"""Issue 14 item 9: the PDF renderer reads our static files and the rendering
organisation's own media, never another organisation's uploads."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from invoices.pdf import LocalFilesFetcher, organisation_media
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _with_logo(organisation, name):
    company = organisation.company_settings
    company.logo.save(name, ContentFile(PNG))
    return company


def test_own_logo_and_static_files_are_served(organisation, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    company = _with_logo(organisation, "mine.png")
    fetcher = LocalFilesFetcher(organisation_media(company))

    assert fetcher.fetch(Path(company.logo.path).as_uri()).read() == PNG
    css = Path(settings.STATICFILES_DIRS[0]).resolve()
    some_static = next(p for p in css.rglob("*") if p.is_file())
    assert fetcher.fetch(some_static.as_uri()).read() == some_static.read_bytes()


def test_another_organisations_files_are_refused(organisation, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    mine = _with_logo(organisation, "mine.png")
    theirs = _with_logo(OrganisationFactory(), "theirs.png")
    attachment = tmp_path / "support" / "7" / "contract.pdf"
    attachment.parent.mkdir(parents=True)
    attachment.write_bytes(b"%PDF-1.7 secret")
    fetcher = LocalFilesFetcher(organisation_media(mine))

    for path in (
        Path(theirs.logo.path),
        attachment,
        tmp_path / "support" / "7" / ".." / "7" / "contract.pdf",
    ):
        with pytest.raises(ValueError, match="outside"):
            fetcher.fetch(path.as_uri())
    with pytest.raises(ValueError, match="Remote"):
        fetcher.fetch("https://example.com/logo.png")
