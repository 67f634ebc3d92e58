"""What the mail server's answer (or silence) means, in-process: each exception the
SMTP client or an ESP raises, and the cause, setting and reply code it is reported as."""

import errno
import io
import smtplib
import socket
import ssl

import pytest
import requests
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused

from accounts.models import CompanySettings
from activity.errors import MissingData
from activity.models import Cause
from emails.mailer import diagnose
from emails.models import EmailMessage

pytestmark = pytest.mark.django_db

BOUNCED = EmailMessage.Status.BOUNCED


def _api_error(status: int) -> AnymailAPIError:
    """What anymail raises when the ESP's API answers ``status``."""
    response = requests.Response()
    response.status_code = status
    response.reason = "ESP reason"
    response.raw = io.BytesIO(b'{"message": "ESP says no"}')
    return AnymailAPIError("ESP API call failed", status_code=status, response=response)


CASES = [
    # exception, cause, setting named (own server), final status, reply code
    (smtplib.SMTPRecipientsRefused({"a@x.test": (550, b"5.1.1 user unknown")}),
     Cause.REFUSED, None, BOUNCED, 550),
    (smtplib.SMTPRecipientsRefused({"a@x.test": (450, b"4.2.0 mailbox busy")}),
     Cause.CONNECTIVITY, None, "", 450),
    (smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"),
     Cause.WRONG_SETTINGS, "smtp_password", "", 535),
    (smtplib.SMTPSenderRefused(553, b"5.7.1 sender not allowed", "me@x.test"),
     Cause.WRONG_SETTINGS, "sender_email", "", 553),
    (smtplib.SMTPSenderRefused(451, b"4.3.0 try later", "me@x.test"),
     Cause.CONNECTIVITY, None, "", 451),
    (smtplib.SMTPDataError(554, b"5.6.0 content rejected"), Cause.REFUSED, None, "", 554),
    (smtplib.SMTPDataError(421, b"4.4.2 timeout"), Cause.CONNECTIVITY, None, "", 421),
    (smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."),
     Cause.WRONG_SETTINGS, "smtp_use_tls", "", None),
    (smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server."),
     Cause.WRONG_SETTINGS, "smtp_username", "", None),
    (ssl.SSLError("wrong version number"), Cause.WRONG_SETTINGS, "smtp_use_tls", "", None),
    (socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
     Cause.WRONG_SETTINGS, "smtp_host", "", None),
    (socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
     Cause.CONNECTIVITY, None, "", None),
    (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
     Cause.CONNECTIVITY, None, "", None),
    (TimeoutError(errno.ETIMEDOUT, "timed out"), Cause.CONNECTIVITY, None, "", None),
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
     Cause.CONNECTIVITY, None, "", None),
    (AnymailRecipientsRefused("all recipients refused"), Cause.REFUSED, None, BOUNCED, None),
    (_api_error(401), Cause.WRONG_SETTINGS, "smtp_password", "", 401),
    (_api_error(503), Cause.CONNECTIVITY, None, "", 503),
    (_api_error(429), Cause.CONNECTIVITY, None, "", 429),
    (_api_error(422), Cause.REFUSED, None, "", 422),
    (KeyError("oops"), Cause.INTERNAL, None, "", None),
]  # fmt: skip


@pytest.fixture
def own_server(organisation) -> CompanySettings:
    CompanySettings.objects.filter(organisation=organisation).update(smtp_host="mail.x.test")
    return CompanySettings.objects.get(organisation=organisation)


@pytest.mark.parametrize(("exc", "cause", "setting", "final_status", "code"), CASES)
def test_diagnose(own_server, exc, cause, setting, final_status, code):
    error, reply_code, _text = diagnose(exc, own_server)

    assert error.cause == cause
    assert error.final_status == final_status
    assert reply_code == code
    named = [p["field"] for p in error.details.get("settings", [])]
    assert named == ([setting] if setting else [])


def test_on_the_platforms_server_the_setting_named_is_the_environment_variable(organisation):
    company = CompanySettings.objects.get(organisation=organisation)

    error, _, _ = diagnose(smtplib.SMTPAuthenticationError(535, b"no"), company)

    assert error.details["settings"][0]["field"] == "EMAIL_HOST_PASSWORD"
    assert error.details["settings"][0]["model"] == "platform"


def test_an_error_already_classified_is_kept(own_server):
    missing = MissingData([])

    assert diagnose(missing, own_server)[0] is missing
