"""What a batch can do to each of its records.

Each action selects its records (``candidates``) and hands one to its automation
(``run``), returning the tracked record now queued, or None when the record is no
longer eligible (someone else was faster, it was fixed meanwhile…). Every ``run`` goes
through the services that queue a record exactly once.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from activity import processes
from activity import services as activity
from activity.models import TrackedRecord, Trigger
from emails import services as emails
from emails.processes import DELIVERY
from invoices import services as invoices
from invoices.models import Invoice
from invoices.processes import GENERATION


@dataclass(frozen=True)
class Action:
    key: str
    title: str | Promise
    # The process whose records the batch follows.
    process: Callable[[dict[str, Any]], str]
    candidates: Callable[[Any, dict[str, Any]], QuerySet]
    run: Callable[[Model, Any], TrackedRecord | None]
    # Optional: a whole chunk at once (organisation, sources, actor) → the tracked record
    # queued for each source id; sources missing from it are skipped.
    run_many: Callable[[Any, list[Model], Any], dict[int, TrackedRecord]] | None = None


def _drafts(organisation, params: dict[str, Any]) -> QuerySet:
    return Invoice.objects.for_organisation(organisation).filter(status=Invoice.Status.DRAFT)


def _generate(invoice, actor) -> TrackedRecord | None:
    return (
        invoice
        if invoices.issue_invoice(invoice=invoice, actor=actor, trigger=Trigger.BATCH)
        else None
    )


def failed_records(organisation, params: dict[str, Any]) -> QuerySet:
    """The failed records of a process that its Retry may send again, with one cause
    and, for missing data, one missing field (``params["field"]``)."""
    model = processes.get(params["process"]).model
    records = (
        model.tracked().for_organisation(organisation).filter(status__in=model.RETRYABLE_STATUSES)
    )
    if params.get("cause"):
        records = records.filter(last_cause=params["cause"])
    if params.get("field"):
        # Bounded by the failures of one cause; JSON containment differs between databases.
        ids = [
            pk
            for pk, details in records.values_list("pk", "last_error_details")
            if any(p.get("field") == params["field"] for p in details.get("fields", []))
        ]
        records = records.filter(pk__in=ids)
    return records


def _retry(record, actor) -> TrackedRecord | None:
    return (
        record if activity.retry_record(record=record, actor=actor, trigger=Trigger.BATCH) else None
    )


def _invoices_to_send(organisation, params: dict[str, Any]) -> QuerySet:
    return Invoice.objects.for_organisation(organisation).filter(
        pk__in=params.get("ids", []),
        status__in=[Invoice.Status.GENERATED, Invoice.Status.SENT],
    )


def _send(invoice, actor) -> TrackedRecord | None:
    return emails.queue_invoice_email(invoice=invoice, actor=actor, trigger=Trigger.BATCH)


def _send_many(organisation, invoices: list[Model], actor) -> dict[int, TrackedRecord]:
    """A chunk of the bulk send in a constant number of statements."""
    messages = emails.queue_invoice_emails(
        organisation=organisation, invoice_ids=[i.pk for i in invoices], actor=actor
    )
    return {message.invoice_id: message for message in messages if message.invoice_id}


ACTIONS = {
    action.key: action
    for action in (
        Action(
            "generate_month",
            _("Generate and send the month's invoices"),
            lambda params: GENERATION.name,
            _drafts,
            _generate,
        ),
        Action("retry", _("Bulk retry"), lambda params: params["process"], failed_records, _retry),
        Action(
            "send_invoices",
            _("Send the selected invoices by e-mail"),
            lambda params: DELIVERY.name,
            _invoices_to_send,
            _send,
            _send_many,
        ),
    )
}
