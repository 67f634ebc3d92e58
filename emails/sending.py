"""Sending one message: the e-mail automation's service.

Never twice: the runner claims the message (queued → sending); ``send_email`` refuses a
message whose acceptance is recorded, records each attempt before talking to the
server, and commits the server's 250 to DATA in one transaction the moment smtplib has
read it (emails/backends.py), before any further command or the closing of the
connection. The window left (README, "Delivery guarantee"): the server has taken the
message but its 250 is not committed — the worker dies, or the database fails, between
the 250 and that commit, or the 250 never reaches us. The retry then sends again
(at-least-once), with the same Message-ID so receivers can de-duplicate.
"""

import dataclasses
import os
import socket
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils import timezone

from accounts.models import loaded_company_settings
from activity import reasons
from activity.errors import FieldProblem, MissingData, Unreachable, WrongSettings
from invoices.models import Customer, Invoice

from . import connections
from .mailer import diagnose, mailer_for, server_label, setting_problem
from .models import EmailAttempt, EmailMessage


def _recipients(message: EmailMessage) -> list[str]:
    """Who to send to now; raises MissingData naming the field to complete."""
    if message.customer_id is not None:
        customer = cast(Customer, message.customer)
        address = customer.email.strip()
        fix = FieldProblem.of(customer, "email", fix_url=customer.get_absolute_url())
        addresses = [address] if address else []
    else:
        addresses = [a.strip() for a in message.recipients if a.strip()]
        fix = FieldProblem.of(message, "recipients", fix_url=message.get_absolute_url())
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
        raise MissingData([FieldProblem.of(document, "pdf", fix_url=fix_url() if fix_url else "")])
    try:
        with pdf.open("rb") as handle:
            return handle.read()
    except OSError as exc:
        raise Unreachable(
            "storage", f"{type(exc).__name__}: {exc}", reason=reasons.reason_of(exc)
        ) from exc


def _worker() -> str:
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
    *,
    message: EmailMessage,
    attempt: EmailAttempt,
    recipients: list[str],
    code: int | None,
    reply: str,
    provider_message_id: str = "",
) -> bool:
    """The server said 250: the message is sent, whatever happens next."""
    now = timezone.now()
    # From any status but accepted ones: a 250 is the truth even if this message was
    # meanwhile handed to another worker or marked failed.
    updated = EmailMessage.objects.mark_succeeded(
        message,
        status=EmailMessage.Status.SENT,
        from_statuses=[
            # Sending first: the usual origin, so the usual case is one UPDATE.
            EmailMessage.STATUS_RUNNING,
            *(
                s
                for s in EmailMessage.Status
                if s not in EmailMessage.ACCEPTED_STATUSES and s != EmailMessage.STATUS_RUNNING
            ),
        ],
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
        Invoice.objects.transition(
            cast(Invoice, message.invoice),
            to=Invoice.Status.SENT,
            from_statuses=[Invoice.Status.GENERATED],
        )
    return updated


def _queue_id(reply: str) -> str:
    # "2.0.0 Ok: queued as 4F2A9C0B1D" → "4F2A9C0B1D"
    marker = "queued as "
    if marker in reply:
        return reply.split(marker, 1)[1].split()[0].strip()
    return ""


def _reminder_no_longer_due(message: EmailMessage) -> bool:
    """A payment reminder is never sent for an invoice paid (or cancelled by credit note)
    since it was queued: checked right before the message is built and sent, after the
    claim. A payment committed while the SMTP conversation is under way (milliseconds)
    cannot be seen; one committed before it always is."""
    if message.kind != EmailMessage.Kind.REMINDER or message.invoice_id is None:
        return False
    invoice = cast(Invoice, message.invoice)  # read with the message, after the claim
    if invoice.status in Invoice.OPEN_STATUSES and invoice.amount_remaining > 0:
        return False
    EmailMessage.objects.transition(
        message,
        to=EmailMessage.Status.CANCELLED,
        from_statuses=[EmailMessage.STATUS_RUNNING],
        smtp_reply=f"Not sent: invoice {invoice} is {invoice.status} "
        f"(remaining {invoice.amount_remaining})",
    )
    return True


def send_email(*, message: EmailMessage) -> EmailMessage | None:
    """Send one message (the e-mail automation's execute); return it as sent when this
    attempt's acceptance recorded it (the runner then reads nothing again), else None.
    Raises the cause of a failure."""
    # Read again, once, with everything sending needs: its customer, its invoice, its
    # organisation and company settings.
    message = EmailMessage.objects.select_related(
        "customer", "invoice", "organisation__company_settings"
    ).get(pk=message.pk)
    if message.is_accepted:
        return None  # accepted on an earlier attempt: never sent twice
    if _reminder_no_longer_due(message):
        return None
    recipients = _recipients(message)
    mail = _build(message, recipients)
    company = loaded_company_settings(message.organisation)
    try:
        backend = mailer_for(message.organisation, company=company)
    except Exception as exc:
        raise WrongSettings(
            [setting_problem(company, "smtp_host", "MAILERS")], remote=str(exc), service="smtp"
        ) from exc
    attempt = _start_attempt(message, server_label(backend))
    accepted: list[bool] = []

    def accept(code: int | None, reply: str, provider_message_id: str = "") -> None:
        accepted.append(
            record_acceptance(
                message=message,
                attempt=attempt,
                recipients=recipients,
                code=code,
                reply=reply,
                provider_message_id=provider_message_id or _queue_id(reply),
            )
        )

    try:
        # A burst of messages to the same server shares one connection per worker.
        with connections.kept_open(backend) as backend:
            # SMTP: the 250 to DATA is committed the moment it is read (emails/backends.py).
            backend.on_accepted = accept
            backend.send_messages([mail])
    except Exception as exc:
        if accepted:
            return None  # the server has the message: nothing after its 250 changes that
        error, code, text = diagnose(exc, company)
        _finish_attempt(attempt, outcome=EmailAttempt.Outcome.FAILED, code=code, reply=text)
        EmailMessage.objects.filter(pk=message.pk).update(smtp_code=code, smtp_reply=text[:2000])
        raise error from exc
    if accepted:
        return message if accepted[-1] else None
    # An ESP's API (or a test backend) has no DATA: it accepted the message when it
    # returned. With no SMTP reply, say who accepted it.
    code, reply = getattr(backend, "last_reply", None) or (
        None,
        f"accepted by {server_label(backend)}",
    )
    status = getattr(mail, "anymail_status", None)
    accept(code, reply, str((status.message_id if status is not None else "") or ""))
    return message if accepted[-1] else None
