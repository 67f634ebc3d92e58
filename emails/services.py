"""E-mail services: queue a message, send it once, diagnose what the server said.

Never twice: the runner claims the message (queued → sending); ``send_email`` refuses a
message whose acceptance is recorded, records each attempt before talking to the
server, and records the server's 250 in one transaction right after it arrives. The
only window left is a worker dying between the 250 and that commit: the retry then
sends again (at-least-once), with the same Message-ID so receivers can de-duplicate.
"""

import dataclasses
import errno
import smtplib
import socket
import ssl
from datetime import date, timedelta
from email.headerregistry import Address
from email.utils import make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.handler import DEFAULT_MAILER_BACKEND
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import CompanySettings, Organisation, User
from activity import services as activity
from activity.errors import (
    AutomationError,
    FieldProblem,
    MissingData,
    Refused,
    Unreachable,
    WrongSettings,
)
from activity.models import Cause, Trigger
from invoices.models import Customer, Invoice

from . import rendering
from .backends import EmailBackend as RecordingSMTPBackend
from .models import EmailAttempt, EmailMessage

SMTP_OPTIONS = {
    "host", "port", "username", "password", "use_tls", "use_ssl", "timeout",
    "ssl_keyfile", "ssl_certfile",
}  # fmt: skip
DNS_NOT_FOUND = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def _company(organisation: Organisation) -> CompanySettings:
    company, _ = CompanySettings.objects.get_or_create(organisation=organisation)
    return company


# --- Queueing -------------------------------------------------------------------------


def _msgid_domain(company: CompanySettings) -> str:
    address = company.sender_email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "commbilling.localhost"


def from_address(company: CompanySettings) -> str:
    if company.sender_email:
        # Left unencoded: Django encodes a non-ASCII name when it builds the message.
        name = company.legal_name or str(company.organisation)
        return str(Address(display_name=name, addr_spec=company.sender_email))
    return settings.DEFAULT_FROM_EMAIL


@transaction.atomic
def create_email(
    *,
    organisation: Organisation,
    template: str,
    context: dict[str, object],
    language: str,
    kind: str = EmailMessage.Kind.OTHER,
    to: list[str] | None = None,
    customer: Customer | None = None,
    invoice: Invoice | None = None,
    attach_pdf: bool = False,
    related: models.Model | None = None,
    reminder_step: int | None = None,
    idempotency_key: str | None = None,
    actor: User | None = None,
    trigger: str = Trigger.USER,
) -> EmailMessage:
    """Render and queue one e-mail; a worker sends it after the transaction commits.

    With an ``idempotency_key`` (or a reminder step) already used, the existing message
    is returned and nothing is queued again.
    """
    company = _company(organisation)
    rendered = rendering.render(
        template, {**context, "company": company, "organisation": organisation}, language=language
    )
    recipients = [customer.email] if customer is not None and customer.email else list(to or [])
    message = EmailMessage(
        organisation=organisation,
        kind=kind,
        customer=customer,
        recipients=recipients,
        recipient=(recipients[0] if recipients else "").lower()[:254],
        from_email=from_address(company),
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        template=template,
        language=language,
        invoice=invoice,
        attach_pdf=attach_pdf,
        reminder_step=reminder_step,
        idempotency_key=idempotency_key,
        message_id=make_msgid(domain=_msgid_domain(company)),
        created_by=actor,
        status=EmailMessage.Status.QUEUED,
    )
    if related is not None:
        message.related_type = ContentType.objects.get_for_model(related)
        message.related_id = related.pk
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        existing = EmailMessage.objects.filter(organisation=organisation)
        if reminder_step is not None:
            return existing.get(invoice=invoice, reminder_step=reminder_step)
        return existing.get(idempotency_key=idempotency_key)
    # Freshly created, so nobody can have claimed it: queued → queued sends its task.
    activity.queue_record(
        record=message,
        from_statuses=(EmailMessage.Status.QUEUED,),
        actor=actor,
        trigger=trigger,
        message=f"E-mail queued by {actor.get_username()}" if actor else "E-mail queued",
    )
    return message


def invoice_email_context(invoice: Invoice) -> dict[str, object]:
    return {"invoice": invoice, "customer": invoice.customer}


def queue_invoice_email(
    *, invoice: Invoice, actor: User | None = None, trigger: str = Trigger.SYSTEM
) -> EmailMessage | None:
    """E-mail a generated invoice with its PDF.

    Without an actor (automatic sending once generated) there is one such e-mail per
    invoice whatever happens. A user's explicit Send queues a new one, unless one for
    this invoice is still on its way (a double click sends once).
    """
    if not invoice.pdf or invoice.status not in (Invoice.Status.GENERATED, Invoice.Status.SENT):
        return None
    with transaction.atomic():
        # The invoice row is the lock: two simultaneous clicks queue one e-mail.
        Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
        return _queue_invoice_email(invoice=invoice, actor=actor, trigger=trigger)


def _queue_invoice_email(
    *, invoice: Invoice, actor: User | None, trigger: str
) -> EmailMessage | None:
    if actor is not None:
        pending = (
            EmailMessage.objects.filter(
                invoice=invoice,
                kind=EmailMessage.Kind.INVOICE,
                status__in=[EmailMessage.Status.QUEUED, EmailMessage.Status.SENDING],
            )
            .order_by("-id")
            .first()
        )
        if pending is not None:
            return pending
    return create_email(
        organisation=invoice.organisation,
        template="invoice",
        context=invoice_email_context(invoice),
        language=invoice.customer.language or "fr",
        kind=EmailMessage.Kind.INVOICE,
        customer=invoice.customer,
        invoice=invoice,
        attach_pdf=True,
        idempotency_key=None if actor is not None else f"invoice:{invoice.pk}:auto",
        actor=actor,
        trigger=trigger,
    )


def send_invoices(*, organisation: Organisation, invoice_ids: list[int], actor: User) -> int:
    """Bulk Send: queue the invoice e-mail of each selected invoice that has its PDF."""
    invoices = (
        Invoice.objects.for_organisation(organisation)
        .filter(pk__in=invoice_ids, status__in=[Invoice.Status.GENERATED, Invoice.Status.SENT])
        .select_related("customer")
    )
    return sum(
        queue_invoice_email(invoice=invoice, actor=actor, trigger=Trigger.BATCH) is not None
        for invoice in invoices
    )


def reminder_steps() -> list[int]:
    return sorted({int(step) for step in settings.AUTOMATION_REMINDER_DAYS if int(step) > 0})


def queue_overdue_reminders(*, today: date | None = None) -> int:
    """Queue the reminder due for each unpaid invoice past its due date.

    An invoice overdue by d days gets the largest step ≤ d once (the unique constraint
    on invoice and step makes a second run, or two schedulers, queue nothing). Steps
    missed while the schedule was off are not sent late in a burst.
    """
    today = today or timezone.localdate()
    steps = reminder_steps()
    queued = 0
    for index, step in enumerate(steps):
        invoices = Invoice.objects.filter(
            status__in=[Invoice.Status.GENERATED, Invoice.Status.SENT],
            due_date__lte=today - timedelta(days=step),
            amount_paid__lt=F("total_incl_vat"),
        ).exclude(emails__reminder_step=step)
        if index + 1 < len(steps):
            invoices = invoices.filter(due_date__gt=today - timedelta(days=steps[index + 1]))
        for invoice in invoices.select_related("customer", "organisation").iterator():
            create_email(
                organisation=invoice.organisation,
                template="reminder",
                context={
                    **invoice_email_context(invoice),
                    "days_overdue": (today - invoice.due_date).days,  # type: ignore[operator]
                },
                language=invoice.customer.language or "fr",
                kind=EmailMessage.Kind.REMINDER,
                customer=invoice.customer,
                invoice=invoice,
                attach_pdf=True,
                reminder_step=step,
                trigger=Trigger.SCHEDULE,
            )
            queued += 1
    return queued


# --- The mailer of an organisation ----------------------------------------------------


def _uses_own_server(company: CompanySettings) -> bool:
    return bool(company.smtp_host)


def mailer_for(organisation: Organisation) -> BaseEmailBackend:
    """The platform's MAILERS["default"], or the organisation's own SMTP server when its
    company settings name one (its smtp_* fields override the platform's options)."""
    config: dict = settings.MAILERS["default"]
    backend_path: str = config.get("BACKEND", DEFAULT_MAILER_BACKEND)
    options: dict[str, Any] = dict(config.get("OPTIONS", {}))
    company = _company(organisation)
    if _uses_own_server(company):
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


def _server_label(backend: BaseEmailBackend) -> str:
    host = getattr(backend, "host", None)
    return f"{host}:{backend.port}" if host else type(backend).__module__  # type: ignore[attr-defined]


# --- Sending --------------------------------------------------------------------------


def _recipients(message: EmailMessage) -> list[str]:
    """Who to send to now; raises MissingData naming the field to complete."""
    if message.customer_id is not None:
        customer = Customer.objects.get(pk=message.customer_id)
        address = customer.email.strip()
        fix = FieldProblem(
            model="customer",
            object_id=customer.pk,
            record=str(customer),
            field="email",
            label=str(Customer._meta.get_field("email").verbose_name),
            fix_url=customer.get_absolute_url(),
        )
        addresses = [address] if address else []
    else:
        addresses = [a.strip() for a in message.recipients if a.strip()]
        fix = FieldProblem(
            model="emailmessage",
            object_id=message.pk,
            record=str(message),
            field="recipients",
            label=str(EmailMessage._meta.get_field("recipients").verbose_name),
            fix_url=message.get_absolute_url(),
        )
    if not addresses:
        raise MissingData([fix])
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise MissingData([dataclasses.replace(fix, problem="invalid")]) from None
    return addresses


def _build(message: EmailMessage, recipients: list[str]) -> EmailMultiAlternatives:
    mail = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        headers={"Message-ID": message.message_id},
    )
    if message.body_html:
        mail.attach_alternative(message.body_html, "text/html")
    document = message.document
    if document is not None:
        mail.attach(f"{document.number}.pdf", _read_pdf(document), "application/pdf")
    return mail


def _read_pdf(document: Any) -> bytes:
    pdf = document.pdf
    if not pdf:
        fix_url = getattr(document, "get_absolute_url", None)
        raise MissingData(
            [
                FieldProblem(
                    model=document._meta.model_name or "",
                    object_id=document.pk,
                    record=str(document),
                    field="pdf",
                    label=str(document._meta.get_field("pdf").verbose_name),
                    fix_url=fix_url() if fix_url else "",
                )
            ]
        )
    try:
        with pdf.open("rb") as handle:
            return handle.read()
    except OSError as exc:
        raise Unreachable("storage", f"{type(exc).__name__}: {exc}") from exc


def _setting(company: CompanySettings, field: str, platform_name: str) -> FieldProblem:
    if _uses_own_server(company):
        return FieldProblem(
            model="companysettings",
            object_id=company.pk,
            record=str(company),
            field=field,
            label=str(CompanySettings._meta.get_field(field).verbose_name),
            problem="invalid",
            fix_url=reverse("accounts:company_settings"),
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

    def settings_error(field: str, platform: str, remote: str) -> WrongSettings:
        return WrongSettings([_setting(company, field, platform)], remote=remote, service="smtp")

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
            return Unreachable("esp", text), status or None, text
        return Refused("esp", text), status, text
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, raw = next(iter(exc.recipients.values()), (None, b""))
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        remote = f"{code} {text}"
        if code is not None and 400 <= code < 500:
            return Unreachable("smtp", remote), code, text
        return Refused("smtp", remote, final_status=EmailMessage.Status.BOUNCED), code, text
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        code, text = _reply(exc)
        return settings_error("smtp_password", "EMAIL_HOST_PASSWORD", f"{code} {text}"), code, text
    if isinstance(exc, smtplib.SMTPSenderRefused):
        code, text = _reply(exc)
        if 400 <= code < 500:
            return Unreachable("smtp", f"{code} {text}"), code, text
        return settings_error("sender_email", "DEFAULT_FROM_EMAIL", f"{code} {text}"), code, text
    if isinstance(exc, smtplib.SMTPResponseException):
        code, text = _reply(exc)
        if 400 <= code < 500:
            return Unreachable("smtp", f"{code} {text}"), code, text
        return Refused("smtp", f"{code} {text}"), code, text
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        text = str(exc)
        if "STARTTLS" in text.upper():
            return settings_error("smtp_use_tls", "EMAIL_USE_TLS", text), None, text
        return settings_error("smtp_username", "EMAIL_HOST_USER", text), None, text
    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        text = f"TLS: {exc}"
        return settings_error("smtp_use_tls", "EMAIL_USE_TLS", text), None, text
    if isinstance(exc, socket.gaierror):
        text = f"{exc.strerror or exc}"
        if exc.errno in DNS_NOT_FOUND:
            return settings_error("smtp_host", "EMAIL_HOST", text), None, text
        return Unreachable("smtp", text), None, text
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPException, OSError)):
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        if isinstance(exc, TimeoutError) or getattr(exc, "errno", None) == errno.ETIMEDOUT:
            reason = f"timed out ({reason})"
        return Unreachable("smtp", reason or type(exc).__name__), None, reason
    error = activity_classify(exc)
    return error, None, error.message


def activity_classify(exc: BaseException) -> AutomationError:
    from activity.runner import classify

    return classify(exc)


def _worker() -> str:
    import os

    return f"{socket.gethostname()}:{os.getpid()}"


def _start_attempt(message: EmailMessage, server: str) -> EmailAttempt:
    # Committed before the first byte reaches the server: a worker that dies leaves a
    # "pending" attempt behind, which the journal shows as interrupted.
    return EmailAttempt.objects.create(
        message=message, number=message.attempts, server=server[:300], worker=_worker()
    )


def _finish_attempt(attempt: EmailAttempt, *, outcome: str, code: int | None, reply: str) -> None:
    EmailAttempt.objects.filter(pk=attempt.pk).update(
        outcome=outcome, code=code, reply=reply[:2000], finished_at=timezone.now()
    )


@transaction.atomic
def record_acceptance(
    *, message: EmailMessage, attempt: EmailAttempt, recipients: list[str], code: int | None,
    reply: str,
    provider_message_id: str = "",
) -> bool:  # fmt: skip
    """The server said 250: the message is sent, whatever happens next."""
    now = timezone.now()
    # From any status but accepted ones: a 250 is the truth even if this message was
    # meanwhile handed to another worker or marked failed.
    updated = EmailMessage.objects.mark_succeeded(
        message,
        status=EmailMessage.Status.SENT,
        from_statuses=[s for s in EmailMessage.Status if s not in EmailMessage.ACCEPTED_STATUSES],
        when=models.Q(sent_at__isnull=True),
        sent_at=now,
        recipients=recipients,
        recipient=recipients[0].lower()[:254],
        smtp_code=code,
        smtp_reply=reply[:2000],
        provider_message_id=provider_message_id[:255],
    )
    _finish_attempt(attempt, outcome=EmailAttempt.Outcome.ACCEPTED, code=code, reply=reply)
    if message.invoice_id and message.kind == EmailMessage.Kind.INVOICE:
        invoice = Invoice.objects.get(pk=message.invoice_id)
        Invoice.objects.transition(
            invoice, to=Invoice.Status.SENT, from_statuses=[Invoice.Status.GENERATED]
        )
    return updated


def _queue_id(reply: str) -> str:
    # "2.0.0 Ok: queued as 4F2A9C0B1D" → "4F2A9C0B1D"
    marker = "queued as "
    if marker in reply:
        return reply.split(marker, 1)[1].split()[0].strip()
    return ""


def send_email(*, message: EmailMessage) -> None:
    """Send one message (the e-mail automation's execute). Raises the cause of a failure."""
    message.refresh_from_db()
    if message.is_accepted:
        return  # accepted on an earlier attempt: never sent twice
    recipients = _recipients(message)
    mail = _build(message, recipients)
    company = _company(message.organisation)
    try:
        backend = mailer_for(message.organisation)
    except Exception as exc:
        raise WrongSettings(
            [_setting(company, "smtp_host", "MAILERS")], remote=str(exc), service="smtp"
        ) from exc
    attempt = _start_attempt(message, _server_label(backend))
    try:
        backend.send_messages([mail])
    except Exception as exc:
        error, code, text = diagnose(exc, company)
        _finish_attempt(attempt, outcome=EmailAttempt.Outcome.FAILED, code=code, reply=text)
        EmailMessage.objects.filter(pk=message.pk).update(smtp_code=code, smtp_reply=text[:2000])
        raise error from exc
    # An ESP or test backend has no SMTP reply: say who accepted it instead.
    code, reply = getattr(backend, "last_reply", None) or (
        None,
        f"accepted by {_server_label(backend)}",
    )
    status = getattr(mail, "anymail_status", None)
    provider_id = (status.message_id if status is not None else "") or _queue_id(reply)
    record_acceptance(
        message=message,
        attempt=attempt,
        recipients=recipients,
        code=code,
        reply=reply,
        provider_message_id=str(provider_id or ""),
    )


# --- Delivery events (ESP webhooks) ---------------------------------------------------


def record_delivery_event(*, provider_message_id: str, event_type: str, description: str) -> int:
    """Apply an ESP tracking event (delivered, bounced, complained) to its message."""
    messages = EmailMessage.objects.filter(
        models.Q(provider_message_id=provider_message_id) | models.Q(message_id=provider_message_id)
    )
    now = timezone.now()
    changed = 0
    for message in messages:
        if event_type == "delivered":
            changed += EmailMessage.objects.transition(
                message,
                to=EmailMessage.Status.DELIVERED,
                from_statuses=[EmailMessage.Status.SENT],
                delivered_at=now,
            )
        elif event_type == "complained":
            changed += EmailMessage.objects.filter(
                pk=message.pk, complained_at__isnull=True
            ).update(complained_at=now)
        elif event_type in ("bounced", "rejected") and message.status in (
            EmailMessage.ACCEPTED_STATUSES
        ):
            _record_bounce(message, description)
            changed += 1
    return changed


def _record_bounce(message: EmailMessage, description: str) -> None:
    activity.record_failure(
        record=message,
        process=message.process.name,
        cause=Cause.REFUSED,
        message=f"esp refused — {description}",
        details={"service": "esp", "remote": description},
        attempt=message.attempts,
        status=EmailMessage.Status.BOUNCED,
        from_statuses=EmailMessage.ACCEPTED_STATUSES,
        # Accepted by the server but never delivered: a Resend may send it again.
        sent_at=None,
    )
