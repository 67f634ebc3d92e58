"""Failures are described in words that are true: a DNS failure is "host not found", never a
server's reply; each sentence ends before the next begins; field problems agree in French."""

import errno
import smtplib
import socket
import ssl

import pytest
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
