"""Queueing outgoing e-mails: render a message and put it in the outbox, once.

A worker sends it (``emails.sending``) after the transaction that queued it commits; a
message created inside a larger transaction (an invoice marked generated, a credit note
issued) exists if and only if that transaction commits.
"""

from datetime import date, timedelta
from email.headerregistry import Address
from email.utils import make_msgid, parseaddr
from typing import cast

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import (
    CompanySettings,
    Organisation,
    User,
    company_settings_for,
    loaded_company_settings,
)
from activity import services as activity
from activity.models import Trigger
from invoices.models import Customer, Invoice

from . import rendering, texts
from .models import EmailMessage


def _msgid_domain(company: CompanySettings) -> str:
    address = company.sender_email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "commbilling.localhost"


def from_address(company: CompanySettings) -> str:
    if company.sender_email:
        # Left unencoded: Django encodes a non-ASCII name when it builds the message.
        name = company.legal_name or str(company.organisation)
        return str(Address(display_name=name, addr_spec=company.sender_email))
    return settings.DEFAULT_FROM_EMAIL


def build_email(
    *,
    organisation: Organisation,
    company: CompanySettings,
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
) -> EmailMessage:
    """A rendered e-mail in the queued status, not saved yet (``create_email`` saves and
    queues one, ``send_invoices`` many at once)."""
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
    return message


@transaction.atomic(savepoint=False)
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
    company: CompanySettings | None = None,
) -> EmailMessage:
    """Render and queue one e-mail; a worker sends it after the transaction commits.
    ``company``: the organisation's settings when the caller has them already.

    With an ``idempotency_key`` (or a reminder step) already used, the existing message
    is returned and nothing is queued again.
    """
    message = build_email(
        organisation=organisation,
        company=company or company_settings_for(organisation),
        template=template,
        context=context,
        language=language,
        kind=kind,
        to=to,
        customer=customer,
        invoice=invoice,
        attach_pdf=attach_pdf,
        related=related,
        reminder_step=reminder_step,
        idempotency_key=idempotency_key,
        actor=actor,
    )
    try:
        with transaction.atomic():
            activity.queue_created(
                record=message,
                actor=actor,
                trigger=trigger,
                message=texts.QUEUED_BY(actor=actor.get_username()) if actor else texts.QUEUED(),
            )
    except IntegrityError:
        existing = EmailMessage.objects.filter(organisation=organisation)
        if reminder_step is not None:
            return existing.get(invoice=invoice, reminder_step=reminder_step)
        return existing.get(idempotency_key=idempotency_key)
    return message


def invoice_email_context(invoice: Invoice) -> dict[str, object]:
    return {"invoice": invoice, "customer": invoice.customer}


def queue_invoice_email(
    *,
    invoice: Invoice,
    actor: User | None = None,
    trigger: str = Trigger.SYSTEM,
    company: CompanySettings | None = None,
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
        return _queue_invoice_email(invoice=invoice, actor=actor, trigger=trigger, company=company)


def _queue_invoice_email(
    *, invoice: Invoice, actor: User | None, trigger: str, company: CompanySettings | None = None
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
        company=company,
    )


def queue_email_of_generated_invoice(
    *, record_id: int, organisation_id: int, old_status: str, new_status: str, **kwargs: object
) -> None:
    """Receiver of activity.signals.status_changed for invoices: once an invoice is
    generated, its e-mail is queued (when the company settings say so), in the same
    transaction. Only when generation ends: an invoice back to Générée because a payment
    was cancelled is not e-mailed again."""
    if new_status != Invoice.Status.GENERATED or old_status != Invoice.STATUS_RUNNING:
        return
    # The invoice just generated, as the generation loaded it (customer and company
    # settings with it) and kept in step with its UPDATE; read when sent without it.
    invoice = kwargs.get("record")
    if not isinstance(invoice, Invoice):
        invoice = Invoice.objects.select_related("organisation__company_settings", "customer").get(
            pk=record_id
        )
    company = loaded_company_settings(invoice.organisation)
    if company.auto_send_invoices and invoice.pdf:
        # No lock to take: this transaction's UPDATE to Générée holds the invoice row, and
        # the automatic e-mail's idempotency key makes it one per invoice.
        _queue_invoice_email(invoice=invoice, actor=None, trigger=Trigger.SYSTEM, company=company)


def send_invoices(*, organisation: Organisation, invoice_ids: list[int], actor: User) -> int:
    """Bulk Send: queue the invoice e-mail of each selected invoice that has its PDF
    (``queue_invoice_emails``); returns how many were queued."""
    return len(
        queue_invoice_emails(organisation=organisation, invoice_ids=invoice_ids, actor=actor)
    )


@transaction.atomic
def queue_invoice_emails(
    *, organisation: Organisation, invoice_ids: list[int], actor: User | None
) -> list[EmailMessage]:
    """Queue the invoice e-mail of each of these invoices that has its PDF, in a constant
    number of statements whatever their number (a page of 500 is one request): the
    invoices locked and read at once, one INSERT of the messages, one UPDATE and one
    INSERT of their log entries to queue them, then one publish of all their tasks.
    Returns the messages queued (a batch run follows them).

    An invoice whose e-mail is still on its way is skipped (a double click sends once)."""
    invoices = list(
        Invoice.objects.for_organisation(organisation)
        .filter(pk__in=invoice_ids, status__in=[Invoice.Status.GENERATED, Invoice.Status.SENT])
        .exclude(pdf="")
        .select_related("customer")
        .select_for_update(of=("self",))  # the invoice rows are the lock, as for one
        .order_by("pk")
    )
    pending = set(
        EmailMessage.objects.filter(
            invoice__in=invoices,
            kind=EmailMessage.Kind.INVOICE,
            status__in=[EmailMessage.Status.QUEUED, EmailMessage.Status.SENDING],
        ).values_list("invoice_id", flat=True)
    )
    company = company_settings_for(organisation)
    messages = EmailMessage.objects.bulk_create(
        build_email(
            organisation=organisation,
            company=company,
            template="invoice",
            context=invoice_email_context(invoice),
            language=invoice.customer.language or "fr",
            kind=EmailMessage.Kind.INVOICE,
            customer=invoice.customer,
            invoice=invoice,
            attach_pdf=True,
            actor=actor,
        )
        for invoice in invoices
        if invoice.pk not in pending
    )
    queued = activity.queue_records(
        model=EmailMessage,
        ids=[message.pk for message in messages],
        from_statuses=(EmailMessage.Status.QUEUED,),
        actor=actor,
        trigger=Trigger.BATCH,
        message=texts.QUEUED_BY(actor=actor.get_username()) if actor else "",
    )
    return cast(list[EmailMessage], queued)


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
            status__in=Invoice.OPEN_STATUSES,
            due_date__lte=today - timedelta(days=step),
            # Still owed: invoiced minus credited, minus paid and not refunded.
            total_incl_vat__gt=F("amount_credited") + F("amount_paid") - F("amount_refunded"),
        ).exclude(emails__reminder_step=step)
        if index + 1 < len(steps):
            invoices = invoices.filter(due_date__gt=today - timedelta(days=steps[index + 1]))
        for invoice in invoices.select_related("customer", "organisation").iterator():
            create_email(
                organisation=invoice.organisation,
                template="reminder",
                context={
                    **invoice_email_context(invoice),
                    "days_overdue": (today - invoice.due_date).days,  # type: ignore[operator]  # the query keeps those with a due date
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
