"""Failures are described in words that are true: a DNS failure is "host not found", never a
server's reply; each sentence ends before the next begins; field problems agree in French."""

import errno
import smtplib
import socket
import ssl

import pytest
from django.db import OperationalError
from django.utils import translation

from activity import reasons
from activity.errors import Unreachable, WrongSettings
from activity.messages import explain
from activity.models import Cause
from emails.mailer import diagnose
from tests.factories import CompanySettingsFactory

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), reasons.HOST_NOT_FOUND),
        (socket.gaierror(socket.EAI_AGAIN, "Temporary failure"), reasons.DNS_FAILURE),
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), reasons.CONNECTION_REFUSED),
        (TimeoutError("timed out"), reasons.TIMEOUT),
        (OSError(errno.ETIMEDOUT, "Connection timed out"), reasons.TIMEOUT),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), reasons.NETWORK_UNREACHABLE),
        (ConnectionResetError(errno.ECONNRESET, "reset"), reasons.DISCONNECTED),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), reasons.DISCONNECTED),
        (ssl.SSLError("wrong version number"), reasons.TLS_FAILED),
        # The file storage's.
        (OSError(errno.ENOSPC, "No space left on device"), reasons.DISK_FULL),
        (PermissionError(errno.EACCES, "Permission denied"), reasons.PERMISSION_DENIED),
        (FileNotFoundError(errno.ENOENT, "No such file or directory"), reasons.FILE_MISSING),
        (OSError(errno.EROFS, "Read-only file system"), reasons.READ_ONLY),
        # The database's, from what libpq says.
        (OperationalError('server at "db": Connection refused'), reasons.CONNECTION_REFUSED),
        (OperationalError('could not translate host name "db" to address'), reasons.HOST_NOT_FOUND),
        (OperationalError("server closed the connection unexpectedly"), reasons.DISCONNECTED),
        (OperationalError("deadlock detected"), ""),
        (ValueError("no idea"), ""),
    ],
)  # fmt: skip
def test_each_connection_error_has_its_reason(exc, reason):
    assert reasons.reason_of(exc) == reason


def _why(cause, details, lang="fr"):
    with translation.override(lang):
        return explain(
            process="email_delivery", cause=cause, details=details, record_label="E-mail 1"
        )


def test_a_host_not_found_is_not_a_server_reply():
    error = WrongSettings(
        [], service="smtp", reason=reasons.HOST_NOT_FOUND, host="smtp.example.invalid"
    )

    french = str(_why(Cause.WRONG_SETTINGS, error.details))
    english = str(_why(Cause.WRONG_SETTINGS, error.details, "en"))

    assert "hôte smtp.example.invalid introuvable" in french.lower()
    assert "répondu" not in french
    assert "Host smtp.example.invalid not found: no DNS record for this name." in english
    assert "answered" not in english


def test_an_unreachable_server_says_what_happened_in_french():
    error = Unreachable(
        "smtp", "Connection refused", reason=reasons.CONNECTION_REFUSED, host="mail.example.com"
    )

    text = _why(Cause.CONNECTIVITY, error.details)

    assert f"connexion refusée par mail.example.com{NBSP}: rien n'écoute sur ce port." in text.why
    assert "Connection refused" not in text.why


def test_a_server_reply_is_quoted_and_its_sentence_ends_before_the_advice():
    details = {
        "settings": [{"record": "X", "label": "SMTP password", "problem": "invalid"}],
        "remote": "535 5.7.8 credentials invalid",
    }

    text = str(_why(Cause.WRONG_SETTINGS, details, "en"))

    assert "The server answered: “535 5.7.8 credentials invalid”. Correct the settings" in text


@pytest.mark.parametrize(
    ("problem", "french"), [("missing", "rue (à renseigner)"), ("invalid", "rue (non valide)")]
)
def test_field_problems_agree_with_any_field_in_french(problem, french):
    details = {"fields": [{"record": "ACME", "label": "street", "problem": problem}]}

    assert french in _why(Cause.MISSING_DATA, details).why


@pytest.mark.django_db
def test_diagnose_turns_a_dns_failure_into_wrong_settings_naming_the_host():
    company = CompanySettingsFactory(smtp_host="smtp.example.invalid", smtp_port=25)
    exc = socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    error, code, _raw = diagnose(exc, company)

    assert isinstance(error, WrongSettings)
    assert code is None
    assert error.details["reason"] == reasons.HOST_NOT_FOUND
    assert error.details["host"] == "smtp.example.invalid"
    assert "remote" not in error.details


@pytest.mark.parametrize(
    "exc",
    [
        smtplib.SMTPResponseException(451, b"4.7.1 Try again later"),
        smtplib.SMTPSenderRefused(451, b"4.7.1 Try again later", "billing@example.com"),
        smtplib.SMTPRecipientsRefused({"a@example.com": (451, b"4.7.1 Try again later")}),
    ],
)
def test_a_server_that_answered_not_now_is_not_said_unreachable(exc):
    """A 4xx is the server's answer: it was reached, and said "later"."""
    error, code, _text = diagnose(exc, CompanySettingsFactory.build(smtp_host="mail.example.com"))

    assert (error.cause, code) == (Cause.CONNECTIVITY, 451)
    with translation.override("en"):
        text = explain(
            process="email_delivery", cause=error.cause, details=error.details, record_label="m"
        )
    assert text.why == (
        "The mail server (SMTP) answered with a temporary refusal: “451 4.7.1 Try again later”."
    )
    assert "retried automatically" in text.todo


@pytest.mark.django_db
def test_a_pdf_gone_from_the_storage_is_said_missing(organisation):
    from pathlib import Path

    from emails.sending import _read_pdf
    from tests.emails.helpers import generated_invoice

    invoice = generated_invoice(organisation)
    Path(invoice.pdf.path).unlink()

    with pytest.raises(Unreachable) as raised:
        _read_pdf(invoice)

    assert raised.value.details["reason"] == reasons.FILE_MISSING
    with translation.override("en"):
        text = explain(
            process="email_delivery",
            cause=raised.value.cause,
            details=raised.value.details,
            record_label="m",
        )
    assert text.why == "The file storage could not be reached: the file is missing."


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:1/", reasons.CONNECTION_REFUSED),
        ("http://no-such-host.invalid/", reasons.HOST_NOT_FOUND),
    ],
)
def test_a_reason_is_found_under_an_http_librarys_wrappers(url, reason):
    """requests wraps urllib3's error, which wraps the socket's: the reason is the socket's."""
    import requests

    with pytest.raises(requests.exceptions.ConnectionError) as raised:
        requests.get(url, timeout=5)

    assert reasons.reason_of(raised.value) == ""
    assert reasons.reason_in(raised.value, "default") == reason
