"""Demo e-mails in every state (called by `manage.py seed_demo` after invoices.demo)."""

import random
from datetime import timedelta

from django.utils import timezone

from accounts.models import Organisation
from activity import services as activity
from activity.errors import (
    AutomationError,
    FieldProblem,
    MissingData,
    Refused,
    Unreachable,
    WrongSettings,
)
from activity.models import Cause
from invoices.models import Customer, Invoice

from . import services
from .models import EmailAttempt, EmailMessage

SMTP_SERVER = "127.0.0.1:1025"


def _attempt(message: EmailMessage, number: int, outcome: str, code, reply: str) -> None:
    EmailAttempt.objects.create(
        message=message,
        number=number,
        outcome=outcome,
        code=code,
        reply=reply,
        server=SMTP_SERVER,
        finished_at=timezone.now(),
    )


def seed(*, organisation: Organisation, rng: random.Random) -> None:
    invoices = list(
        Invoice.objects.for_organisation(organisation)
        .filter(status=Invoice.Status.GENERATED)
        .select_related("customer")
        .order_by("id")
    )
    # The demo never talks to a mail server here: it writes each state as the worker would.
    states = [
        "sent",
        "delivered",
        "queued",
        "failed_missing",
        "bounced",
        "failed_auth",
        "retrying",
        "sent",
        "delivered",
        "sent",
    ]
    now = timezone.now()
    for invoice, state in zip(invoices, states, strict=False):
        message = services.create_email(
            organisation=organisation,
            template="invoice",
            context=services.invoice_email_context(invoice),
            language=invoice.customer.language or "fr",
            kind=EmailMessage.Kind.INVOICE,
            customer=invoice.customer,
            invoice=invoice,
            attach_pdf=True,
        )
        EmailMessage.objects.filter(pk=message.pk).update(task_id="")  # no worker involved
        message.refresh_from_db()
        if state == "queued":
            continue
        EmailMessage.objects.filter(pk=message.pk).update(attempts=1, started_at=now)
        message.refresh_from_db()
        if state in ("sent", "delivered"):
            reply = f"2.0.0 Ok: queued as {rng.randrange(16**10):010X}"
            _attempt(message, 1, EmailAttempt.Outcome.ACCEPTED, 250, reply)
            EmailMessage.objects.mark_succeeded(
                message,
                status=state,
                from_statuses=[EmailMessage.Status.QUEUED],
                sent_at=now - timedelta(minutes=rng.randint(5, 500)),
                delivered_at=now if state == "delivered" else None,
                smtp_code=250,
                smtp_reply=reply,
            )
            Invoice.objects.transition(
                invoice, to=Invoice.Status.SENT, from_statuses=[Invoice.Status.GENERATED]
            )
            continue
        if state == "failed_missing":
            # As it really happens: the customer has no billing e-mail.
            Customer.objects.filter(pk=invoice.customer_id).update(email="")
            error: AutomationError = MissingData(
                [
                    FieldProblem.of(
                        invoice.customer, "email", fix_url=invoice.customer.get_absolute_url()
                    )
                ]
            )
            code, reply, status = None, "", ""
        elif state == "bounced":
            code, reply = 550, "5.1.1 <unknown@example.invalid>: Recipient address rejected"
            error = Refused("smtp", f"{code} {reply}", final_status=EmailMessage.Status.BOUNCED)
            status = EmailMessage.Status.BOUNCED
        elif state == "failed_auth":
            code, reply = 535, "5.7.8 Authentication credentials invalid"
            error = WrongSettings(
                [
                    FieldProblem(
                        "companysettings",
                        None,
                        "SMTP",
                        "smtp_password",
                        "SMTP password",
                        "invalid",
                        "/accounts/settings/",
                    )
                ],
                remote=f"{code} {reply}",
                service="smtp",
            )
            status = ""
        else:  # retrying
            code, reply = 421, "4.3.2 Service not available, closing transmission channel"
            error = Unreachable("smtp", f"{code} {reply}")
            _attempt(message, 1, EmailAttempt.Outcome.FAILED, code, reply)
            EmailMessage.objects.filter(pk=message.pk).update(
                next_retry_at=now + timedelta(minutes=5),
                last_cause=Cause.CONNECTIVITY,
                last_error=str(error),
                last_error_details=error.details,
            )
            continue
        _attempt(message, 1, EmailAttempt.Outcome.FAILED, code, reply)
        activity.record_failure(
            record=message,
            process=message.process.name,
            cause=error.cause,
            message=str(error),
            details=error.details,
            attempt=1,
            status=status,
            from_statuses=(EmailMessage.Status.QUEUED,),
        )
