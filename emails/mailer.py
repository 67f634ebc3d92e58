"""The mailer of an organisation, and what its server's answers mean.

``mailer_for`` gives the platform's MAILERS["default"] or the organisation's own SMTP
server; ``diagnose`` turns an exception raised while talking to it into the cause of the
failure (missing data, wrong settings, connectivity, refusal) with the server's reply.
"""

import errno
import smtplib
import socket
import ssl
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.handler import DEFAULT_MAILER_BACKEND
from django.urls import reverse
from django.utils.module_loading import import_string

from accounts.models import CompanySettings, Organisation, company_settings_for
from activity import reasons
from activity.errors import (
    AutomationError,
    FieldProblem,
    Refused,
    Unreachable,
    WrongSettings,
    classify,
)

from .backends import EmailBackend as RecordingSMTPBackend
from .models import EmailMessage

SMTP_OPTIONS = {
    "host",
    "port",
    "username",
    "password",
    "use_tls",
    "use_ssl",
    "timeout",
    "ssl_keyfile",
    "ssl_certfile",
}
DNS_NOT_FOUND = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def uses_own_server(company: CompanySettings) -> bool:
    return bool(company.smtp_host)


def mailer_for(
    organisation: Organisation, *, company: CompanySettings | None = None
) -> BaseEmailBackend:
    """The platform's MAILERS["default"], or the organisation's own SMTP server when its
    company settings name one (its smtp_* fields override the platform's options).
    ``company``: the organisation's settings when the caller has just read them."""
    config: dict = settings.MAILERS["default"]
    backend_path: str = config.get("BACKEND", DEFAULT_MAILER_BACKEND)
    options: dict[str, Any] = dict(config.get("OPTIONS", {}))
    company = company or company_settings_for(organisation)
    if uses_own_server(company):
        if backend_path != DEFAULT_MAILER_BACKEND:
            options = {"timeout": options.get("timeout", 20)}
        options = {k: v for k, v in options.items() if k in SMTP_OPTIONS}
        options |= {
            "host": company.smtp_host,
            "port": company.smtp_port or (587 if company.smtp_use_tls else 25),
            "username": company.smtp_username,
            "password": company.smtp_password,
            "use_tls": company.smtp_use_tls,
            "use_ssl": False,
        }
        backend_path = DEFAULT_MAILER_BACKEND
    backend_class = (
        RecordingSMTPBackend
        if backend_path == DEFAULT_MAILER_BACKEND
        else import_string(backend_path)
    )
    # Passing an alias is what Django 6.1 expects of mailers (no deprecation warning).
    return backend_class(alias="default", **options)


def server_label(backend: BaseEmailBackend) -> str:
    host = getattr(backend, "host", None)
    if not host:
        return type(backend).__module__
    return f"{host}:{backend.port}"  # type: ignore[attr-defined]  # a backend with a host has one


def smtp_host(company: CompanySettings) -> str:
    """The host the message goes to: the organisation's own server or the platform's."""
    if uses_own_server(company):
        return company.smtp_host
    return str(settings.MAILERS["default"].get("OPTIONS", {}).get("host", ""))


def setting_problem(company: CompanySettings, field: str, platform_name: str) -> FieldProblem:
    if uses_own_server(company):
        return FieldProblem.of(
            company, field, fix_url=reverse("accounts:company_settings"), problem="invalid"
        )
    # The platform's own server: the operator fixes an environment variable.
    return FieldProblem(
        model="platform",
        object_id=None,
        record="MAILERS['default']",
        field=platform_name,
        label=platform_name,
        problem="invalid",
    )


def _reply(exc: smtplib.SMTPResponseException) -> tuple[int, str]:
    text = exc.smtp_error
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return exc.smtp_code, str(text)


def diagnose(
    exc: BaseException, company: CompanySettings
) -> tuple[AutomationError, int | None, str]:
    """What the server's answer (or silence) means: the cause, with its reply code."""
    from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused

    def settings_error(field: str, platform: str, remote: str, reason: str = "") -> WrongSettings:
        problems = [setting_problem(company, field, platform)]
        if reason:  # no server answered: say what happened, not "the server answered"
            return WrongSettings(problems, service="smtp", reason=reason, host=host)
        return WrongSettings(problems, remote=remote, service="smtp")

    host = smtp_host(company)

    if isinstance(exc, AutomationError):
        return exc, None, exc.message
    # An ESP's API errors are OSErrors too (requests' HTTPError): look at them first.
    if isinstance(exc, AnymailRecipientsRefused):
        text = str(exc)
        return Refused("esp", text, final_status=EmailMessage.Status.BOUNCED), None, text
    if isinstance(exc, AnymailAPIError):
        status = getattr(exc, "status_code", None) or 0
        text = str(exc)[:500]
        if status in (401, 403):
            return settings_error("smtp_password", "EMAIL_BACKEND options", text), status, text
        if status >= 500 or status in (0, 408, 429):
            # An answer ("not now") is temporary; none at all (0) is the connection's.
            said = reasons.TEMPORARY_REFUSAL if status else ""
            return Unreachable("esp", text, reason=said), status or None, text
        return Refused("esp", text), status, text
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()), (None, b""))
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        remote = f"{code} {text}"
        if code is not None and 400 <= code < 500:
            return Unreachable("smtp", remote, reason=reasons.TEMPORARY_REFUSAL), code, text
        return Refused("smtp", remote, final_status=EmailMessage.Status.BOUNCED), code, text
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        code, text = _reply(exc)
        return settings_error("smtp_password", "EMAIL_HOST_PASSWORD", f"{code} {text}"), code, text
    if isinstance(exc, smtplib.SMTPSenderRefused):
        code, text = _reply(exc)
        if 400 <= code < 500:
            refusal = Unreachable("smtp", f"{code} {text}", reason=reasons.TEMPORARY_REFUSAL)
            return refusal, code, text
        return settings_error("sender_email", "DEFAULT_FROM_EMAIL", f"{code} {text}"), code, text
    if isinstance(exc, smtplib.SMTPResponseException):
        code, text = _reply(exc)
        if 400 <= code < 500:
            refusal = Unreachable("smtp", f"{code} {text}", reason=reasons.TEMPORARY_REFUSAL)
            return refusal, code, text
        return Refused("smtp", f"{code} {text}"), code, text
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        text = str(exc)
        if "STARTTLS" in text.upper():
            return settings_error("smtp_use_tls", "EMAIL_USE_TLS", text), None, text
        return settings_error("smtp_username", "EMAIL_HOST_USER", text), None, text
    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        text = f"TLS: {exc}"
        return settings_error("smtp_use_tls", "EMAIL_USE_TLS", text, reasons.TLS_FAILED), None, text
    if isinstance(exc, socket.gaierror):
        text = f"{exc.strerror or exc}"
        if exc.errno in DNS_NOT_FOUND:
            return (
                settings_error("smtp_host", "EMAIL_HOST", text, reasons.HOST_NOT_FOUND),
                None,
                text,
            )
        return Unreachable("smtp", text, reason=reasons.DNS_FAILURE, host=host), None, text
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPException, OSError)):
        raw = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        if isinstance(exc, TimeoutError) or getattr(exc, "errno", None) == errno.ETIMEDOUT:
            raw = f"timed out ({raw})"
        raw = raw or type(exc).__name__
        return Unreachable("smtp", raw, reason=reasons.reason_of(exc), host=host), None, raw
    error = classify(exc)
    return error, None, error.message
