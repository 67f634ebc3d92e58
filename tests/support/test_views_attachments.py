"""Attachments: 5 MB, PDF/PNG/JPEG/TXT/CSV by extension and content, private downloads."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from support.models import Ticket, TicketAttachment
from tests.factories import UserFactory
from tests.support.helpers import make_ticket

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
FORM = {"subject": "Files", "category": "other", "priority": "normal", "description": "See"}


def _open(client, *files):
    return client.post(reverse("support:new"), {**FORM, "attachments": list(files)})


def test_accepted_files_are_stored_with_the_ticket(accountant_client):
    response = _open(
        accountant_client,
        SimpleUploadedFile("facture.pdf", PDF),
        SimpleUploadedFile("capture.png", PNG),
        SimpleUploadedFile("export.csv", b"nom;montant\nDupont;12,50\n"),
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    stored = {a.name: a.content_type for a in ticket.attachments.all()}
    assert stored == {
        "facture.pdf": "application/pdf",
        "capture.png": "image/png",
        "export.csv": "text/csv",
    }


def test_a_file_over_5_mb_is_refused(accountant_client):
    big = SimpleUploadedFile("big.txt", b"a" * (5 * 1024 * 1024 + 1))
    response = _open(accountant_client, big)
    assert response.status_code == 200
    assert "larger than" in response.text
    assert Ticket.objects.count() == 0


def test_a_file_of_exactly_5_mb_is_accepted(accountant_client):
    response = _open(accountant_client, SimpleUploadedFile("ok.txt", b"a" * (5 * 1024 * 1024)))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("name", "content"),
    [("run.exe", b"MZ\x90\x00"), ("page.html", b"<html>"), ("archive.zip", b"PK\x03\x04")],
)
def test_other_extensions_are_refused(accountant_client, name, content):
    response = _open(accountant_client, SimpleUploadedFile(name, content))
    assert "only PDF, PNG, JPEG, TXT and CSV" in response.text
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("invoice.pdf", b"MZ\x90\x00 not a pdf"),
        ("photo.jpg", PNG),
        ("shot.png", PDF),
        ("notes.txt", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("data.csv", b"PK\x03\x04zip"),
    ],
)
def test_content_that_does_not_match_the_extension_is_refused(accountant_client, name, content):
    response = _open(accountant_client, SimpleUploadedFile(name, content))
    assert "does not look like" in response.text
    assert Ticket.objects.count() == 0


def test_a_reply_can_carry_an_attachment(accountant, accountant_client):
    ticket = make_ticket(requester=accountant)
    accountant_client.post(
        reverse("support:reply", args=[ticket.pk]),
        {"body": "Here", "attachments": [SimpleUploadedFile("proof.pdf", PDF)]},
    )
    assert ticket.attachments.get().message.body == "Here"


def _attachment(accountant_client) -> TicketAttachment:
    _open(accountant_client, SimpleUploadedFile("facture.pdf", PDF))
    return TicketAttachment.objects.get()


def test_the_requester_downloads_their_attachment(accountant_client):
    item = _attachment(accountant_client)
    response = accountant_client.get(item.get_absolute_url())
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert "sandbox" in response["Content-Security-Policy"]


def test_support_staff_download_any_attachment(accountant_client, support_client):
    item = _attachment(accountant_client)
    assert support_client.get(item.get_absolute_url()).status_code == 200


def test_a_colleague_or_another_organisation_gets_a_404(
    accountant_client, other_accountant_client, organisation, client
):
    item = _attachment(accountant_client)
    colleague = UserFactory(organisation=organisation, role=Role.ACCOUNTANT)
    client.force_login(colleague)
    assert client.get(item.get_absolute_url()).status_code == 404
    assert other_accountant_client.get(item.get_absolute_url()).status_code == 404


def test_attachments_are_not_under_a_public_url(accountant_client, settings):
    item = _attachment(accountant_client)
    assert str(settings.MEDIA_ROOT) in item.file.path
    assert accountant_client.get(settings.MEDIA_URL + item.file.name).status_code == 404
