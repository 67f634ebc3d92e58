"""Support services: opening tickets, replies, assignment, status, breaches, notification."""

import logging
from collections.abc import Iterable
from datetime import datetime
from functools import partial

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organisation, User
from activity import processes
from activity.models import ActivityLog, Cause
from emails.models import EmailMessage
from emails.services import create_email

from .models import Ticket, TicketAttachment, TicketMessage

logger = logging.getLogger(__name__)


def category_for(process: str) -> str:
    """The ticket category of a failure of ``process``, as its declaration says."""
    try:
        category = processes.get(process).support_category
    except KeyError:
        return Ticket.Category.OTHER
    return category if category in Ticket.Category.values else Ticket.Category.OTHER


def describe_failure(
    *, process: str, record: models.Model | None, entry: ActivityLog | None
) -> dict[str, object]:
    """The context a help button hands to a new ticket (stored as JSON on it)."""
    context: dict[str, object] = {"process": process, "process_label": processes.label_of(process)}
    if record is not None:
        context["record_label"] = str(record)
        if hasattr(record, "get_absolute_url"):
            context["record_url"] = record.get_absolute_url()
        context["cause"] = getattr(record, "last_cause", "")
        context["message"] = getattr(record, "last_error", "")
        context["details"] = getattr(record, "last_error_details", None) or {}
        if hasattr(record, "status"):
            context["record_status"] = record.status
    if entry is not None:
        context["log_id"] = entry.pk
        context["record_label"] = context.get("record_label") or entry.record_label
        context["cause"] = entry.cause or context.get("cause", "")
        context["message"] = entry.message or context.get("message", "")
        if entry.cause:
            context["details"] = entry.details
        context["logged_at"] = entry.created_at.isoformat()
    if context.get("cause"):
        cause = str(context["cause"])
        context["cause_label"] = str(dict(Cause.choices).get(cause, cause))
    return context


def _save_attachments(
    *, ticket: Ticket, message: TicketMessage | None, files: Iterable[UploadedFile], user: User
) -> None:
    for upload in files:
        TicketAttachment.objects.create(
            ticket=ticket,
            message=message,
            file=upload,
            name=(upload.name or "file")[:200],
            content_type=getattr(upload, "sniffed_type", "") or "application/octet-stream",
            size=upload.size or 0,
            uploaded_by=user,
        )


@transaction.atomic
def open_ticket(
    *,
    organisation: Organisation,
    requester: User,
    subject: str,
    category: str,
    description: str,
    priority: str = Ticket.Priority.NORMAL,
    files: Iterable[UploadedFile] = (),
    record: models.Model | None = None,
    entry: ActivityLog | None = None,
    context: dict | None = None,
    now: datetime | None = None,
) -> Ticket:
    now = now or timezone.now()
    ticket = Ticket(
        organisation=organisation,
        requester=requester,
        subject=subject,
        category=category,
        description=description,
        priority=priority,
        context=context or {},
        activity=entry,
        created_at=now,
    )
    if record is not None:
        ticket.content_type = ContentType.objects.get_for_model(record)
        ticket.object_id = record.pk
    elif entry is not None:
        ticket.content_type_id = entry.content_type_id
        ticket.object_id = entry.object_id
    ticket.start_clock(now)
    ticket.save()
    _save_attachments(ticket=ticket, message=None, files=files, user=requester)
    return ticket


@transaction.atomic
def add_customer_reply(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    files: Iterable[UploadedFile] = (),
    now: datetime | None = None,
) -> TicketMessage:
    """The requester answers: a ticket waiting, resolved or closed reopens and its clock
    resumes with the business time it had left."""
    now = now or timezone.now()
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    message = TicketMessage.objects.create(ticket=ticket, author=author, body=body, created_at=now)
    _save_attachments(ticket=ticket, message=message, files=files, user=author)
    ticket.reopen(now)
    ticket.save()
    return message


@transaction.atomic
def add_support_message(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    internal: bool = False,
    next_status: str = "",
    now: datetime | None = None,
) -> TicketMessage:
    """A public reply (e-mailed to the requester) or an internal note (never shown to them).

    The first public reply records the first-response time; a public reply may move the
    ticket on (usually to waiting for the customer, which pauses the clock).
    """
    now = now or timezone.now()
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    message = TicketMessage.objects.create(
        ticket=ticket, author=author, body=body, is_internal=internal, created_at=now
    )
    if not internal:
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        if ticket.assignee_id is None:
            ticket.assignee = author
        if next_status and next_status != ticket.status:
            ticket.set_status(next_status, now)
        elif ticket.status == Ticket.Status.OPEN:
            ticket.set_status(Ticket.Status.IN_PROGRESS, now)
        transaction.on_commit(partial(notify_requester, message), robust=True)
    ticket.save()
    return message


@transaction.atomic
def assign_ticket(*, ticket: Ticket, assignee: User | None, now: datetime | None = None) -> None:
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    ticket.assignee = assignee
    if assignee is not None and ticket.status == Ticket.Status.OPEN:
        ticket.set_status(Ticket.Status.IN_PROGRESS, now)
    ticket.save()


@transaction.atomic
def change_status(*, ticket: Ticket, status: str, now: datetime | None = None) -> None:
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status != status:
        ticket.set_status(status, now)
        ticket.save()


def mark_breached_tickets(*, now: datetime | None = None) -> int:
    """Record the breach of every running ticket past its deadline, once (safe to run twice)."""
    now = now or timezone.now()
    return (
        Ticket.objects.running()
        .filter(due_at__lt=now, breached_at__isnull=True)
        .update(breached_at=F("due_at"))
    )


def notify_requester(message: TicketMessage) -> EmailMessage | None:
    """Queue the e-mail of a public reply to the ticket's requester (once per reply).

    The e-mail automation sends it from a worker, so a slow or broken mail server never
    holds up the reply; its failures show in the e-mail journal with a Resend button.
    """
    if message.is_internal:
        return None
    ticket = message.ticket
    requester = ticket.requester
    if not requester.email:
        return None
    return create_email(
        organisation=ticket.organisation,
        template="support-reply",
        context={
            "ticket": ticket,
            "message": message,
            "url": settings.SITE_URL.rstrip("/") + ticket.get_absolute_url(),
        },
        language=getattr(requester, "language", None) or settings.LANGUAGE_CODE,
        kind=EmailMessage.Kind.SUPPORT,
        to=[requester.email],
        related=ticket,
        idempotency_key=f"support-reply-{message.pk}",
        actor=message.author,
    )
