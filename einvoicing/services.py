"""E-invoicing services: which invoices go to the platform, their transmission (never
twice), the life-cycle statuses the platform reports, and the ones we report.

The guarantee, like refunds': the time a flow is sent is recorded before the platform is
called, and the flow carries a stable tracking id (seller SIREN + invoice or credit note
number: a credit note to a French business is an e-invoice too, type 381). When an
answer is lost (time-out, dropped connection, killed worker), the next attempt first asks
the platform for that tracking id and sends again only if it holds no accepted flow. If it
cannot be asked, the transmission shows *À vérifier* and a periodic job checks it.
"""

import logging
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from activity import services as activity
from activity.choices import Event, Level, Trigger
from activity.errors import (
    AutomationError,
    FieldProblem,
    MissingData,
    OutcomeUnknown,
    Refused,
    Unreachable,
    WrongSettings,
)
from commbilling.l10n import format_amount
from invoices import services as invoices
from invoices.models import Invoice
from invoices.storage import store_pdf
from refunds import credit_notes
from refunds.models import CreditNote

from . import facturx, rules, texts
from .document import Document
from .models import REJECTIONS, EInvoice, FlowStatus, Lifecycle, PlatformSettings
from .platform import Flow, FlowEvent, HttpPlatform, PlatformDown
from .source import buyer_party, credit_note_document, invoice_document, is_business, parties_of

logger = logging.getLogger(__name__)

# Internal failures' reason codes (worded in apps.py): the platform found our file invalid
# against its schema; a credit note to transmit has no PDF.
SCHEMA_INVALID = "platform_schema_invalid"
NO_PDF = "credit_note_without_pdf"


# --- Who is transmitted -------------------------------------------------------------


EXCLUDED_OFF = "off"
EXCLUDED_B2C = "b2c"
EXCLUDED_FOREIGN = "foreign"
EXCLUSION_TEXTS = {
    EXCLUDED_OFF: _(
        "Not transmitted: e-invoicing through an approved platform is off in the settings."
    ),
    EXCLUDED_B2C: _(
        "Not transmitted to the e-invoicing platform: the buyer is a private individual "
        "(B2C sales are reported to the tax authority, not e-invoiced)."
    ),
    EXCLUDED_FOREIGN: _(
        "Not transmitted to the e-invoicing platform: the buyer is not established in "
        "France (international sales are reported to the tax authority, not e-invoiced)."
    ),
}


def exclusion_of(*, enabled: bool, buyer: dict) -> str | None:
    """Why a document to this buyer does not go through the platform (EXCLUDED_…), or
    None when it does.

    The reform's e-invoicing covers sales between businesses established in France; sales
    to private individuals (B2C) and international sales are reported (e-reporting)."""
    if not enabled:
        return EXCLUDED_OFF
    if not is_business(buyer):
        return EXCLUDED_B2C
    if (buyer.get("country") or "") != "FR":
        return EXCLUDED_FOREIGN
    return None


def transmission_exclusion(invoice: Invoice):
    """Why this invoice does not go through the platform (a text), or None when it does."""
    _seller, buyer = parties_of(invoice)
    key = exclusion_of(
        enabled=PlatformSettings.for_organisation(invoice.organisation).enabled, buyer=buyer
    )
    return EXCLUSION_TEXTS[key] if key else None


def tracking_id_for(invoice: Invoice) -> str:
    seller, _buyer = parties_of(invoice)
    return f"{seller.get('siren') or ''}-{invoice.number}"


def credit_note_exclusion(credit_note: CreditNote):
    """Why this credit note does not go through the platform (a text), or None when it
    does: the same rule as its invoice's, on the buyer as the credit note states it."""
    key = exclusion_of(
        enabled=PlatformSettings.for_organisation(credit_note.organisation).enabled,
        buyer=credit_note.buyer or parties_of(credit_note.invoice)[1],
    )
    return EXCLUSION_TEXTS[key] if key else None


def credit_note_tracking_id(credit_note: CreditNote) -> str:
    seller = credit_note.seller or parties_of(credit_note.invoice)[0]
    return f"{seller.get('siren') or ''}-{credit_note.number}"


def queue_transmission(*, invoice: Invoice, actor: User | None = None) -> EInvoice | None:
    """Create and queue the invoice's transmission, once, in the caller's transaction (the
    one that marks the invoice generated: the outbox holds both or neither)."""
    if transmission_exclusion(invoice) is not None:
        return None
    return _queue_once(
        {"invoice": invoice}, invoice.organisation, tracking_id_for(invoice), invoice.number, actor
    )


def queue_credit_note_transmission(
    *, credit_note: CreditNote, actor: User | None = None
) -> EInvoice | None:
    """Create and queue the credit note's transmission, once, in the transaction that
    issues it (refunds.credit_notes.create_credit_note)."""
    if credit_note_exclusion(credit_note) is not None:
        return None
    return _queue_once(
        {"credit_note": credit_note},
        credit_note.organisation,
        credit_note_tracking_id(credit_note),
        credit_note.number,
        actor,
    )


def _queue_once(
    document: dict[str, Any],
    organisation,
    tracking_id: str,
    number: str | None,
    actor: User | None,
) -> EInvoice:
    """The document's transmission, created and queued the first time only."""
    with transaction.atomic():
        einvoice, created = EInvoice.objects.get_or_create(
            **document, defaults={"organisation": organisation, "tracking_id": tracking_id}
        )
        if created:
            activity.queue_record(
                record=einvoice,
                from_statuses=(EInvoice.Status.QUEUED,),
                actor=actor,
                trigger=Trigger.SYSTEM,
                message=texts.QUEUED(number=number),
            )
    return einvoice


def queue_transmission_of_issued_credit_note(
    sender, *, credit_note: CreditNote, actor: User | None = None, **kwargs
) -> None:
    """Receiver of refunds.signals.credit_note_issued (refunds does not call us)."""
    enabled = PlatformSettings.objects.filter(
        organisation_id=credit_note.organisation_id, enabled=True
    )
    if not enabled.exists():
        return  # e-invoicing is off: one read, no settings row created here
    queue_credit_note_transmission(credit_note=credit_note, actor=actor)


def queue_transmission_of_generated_invoice(
    sender, *, record_id: int, old_status: str, new_status: str, **kwargs
) -> None:
    """Receiver of activity.signals.status_changed for invoices: the invoice just generated
    is queued for the platform in the same transaction (invoices does not call us)."""
    if new_status != Invoice.Status.GENERATED or old_status != Invoice.Status.GENERATING:
        return
    # The invoice as the generation loaded it, with its customer, organisation and the
    # organisation's platform settings (Invoice.objects.for_generation): no read.
    invoice = kwargs.get("record")
    if not isinstance(invoice, Invoice) or not _loaded_for_transmission(invoice):
        if not PlatformSettings.objects.filter(
            organisation_id=kwargs["organisation_id"], enabled=True
        ).exists():
            return  # e-invoicing is off: one read, no settings row created here
        invoice = Invoice.objects.select_related("customer", "organisation").get(pk=record_id)
    elif not invoice.organisation.platform_settings.enabled:
        return
    queue_transmission(invoice=invoice)


def _loaded_for_transmission(invoice: Invoice) -> bool:
    """Whether the invoice holds its customer, its organisation and the organisation's
    platform settings (an existing row: a missing one is read, not created, above)."""
    meta = Invoice._meta
    if not meta.get_field("customer").is_cached(invoice):
        return False
    if not meta.get_field("organisation").is_cached(invoice):
        return False
    related = type(invoice.organisation).platform_settings.related
    return related.is_cached(invoice.organisation) and (
        related.get_cached_value(invoice.organisation) is not None
    )


# --- Checks before anything leaves -----------------------------------------------------


def check_transmission(invoice: Invoice) -> list[rules.Violation]:
    """The EN 16931 and French rules a transmission of this invoice would break."""
    violations = rules.check(invoice_document(invoice), transmitted=True)
    if not invoice.number:
        # A draft gets its number and dates when it is issued.
        violations = [v for v in violations if v.rule not in ("BR-02", "BR-03")]
    return violations


def readiness_problems(invoice: Invoice) -> tuple[list[FieldProblem], list[FieldProblem]]:
    """What the EN 16931 and French rules need before an invoice that will go through the
    platform is issued: (missing data, wrong settings), for the draft's readiness check
    and generation (registered with invoices.extensions). Rules that only our own code
    can break are left to the transmission, which reports them as internal errors."""
    if transmission_exclusion(invoice) is not None:
        return [], []
    violations = check_transmission(invoice)
    data = [v.problem for v in violations if v.problem is not None and not v.settings]
    config = [v.problem for v in violations if v.problem is not None and v.settings]
    return data, config


def _settings_problem(platform: PlatformSettings, field: str, problem: str) -> FieldProblem:
    return FieldProblem.of(platform, field, fix_url=reverse("einvoicing:settings"), problem=problem)


def platform_client(invoice_or_org) -> HttpPlatform:
    organisation = getattr(invoice_or_org, "organisation", invoice_or_org)
    platform = PlatformSettings.for_organisation(organisation)
    missing = [
        _settings_problem(platform, field, "missing")
        for field in ("base_url", "api_key")
        if not getattr(platform, field)
    ]
    if missing:
        raise WrongSettings(missing, service="platform")
    return HttpPlatform(
        base_url=platform.base_url,
        api_key=platform.api_key,
        on_auth_error=lambda remote: WrongSettings(
            [_settings_problem(platform, "api_key", "invalid")], remote=remote, service="platform"
        ),
    )


# --- Transmission (the automation's execute) -------------------------------------------


def _customer_problem(invoice: Invoice, problem: str) -> FieldProblem:
    buyer = buyer_party(invoice.customer, parties_of(invoice)[1])
    return rules.field_problem(buyer.origin, "siren", problem)


def document_of(einvoice: EInvoice) -> Document:
    """The EN 16931 document of what the transmission sends (an invoice, a credit note)."""
    if einvoice.credit_note_id:
        return credit_note_document(einvoice.credit_note)
    assert einvoice.invoice is not None
    return invoice_document(einvoice.invoice)


def rejection_error(einvoice: EInvoice, event: FlowEvent) -> AutomationError:
    """The platform's reason code (213 Rejetée, 221 Erreur de routage) → a cause naming
    what to fix."""
    remote = f"{event.code} {event.reason_code}: {event.message}".strip()
    reason = event.reason_code
    error: AutomationError
    if reason in ("BUYER_SIREN_INVALID", "BUYER_ADDRESS_UNKNOWN", "BUYER_SIREN_MISSING"):
        # An unknown SIREN, or no platform registered for the address derived from it.
        problem = "missing" if reason == "BUYER_SIREN_MISSING" else "invalid"
        if einvoice.invoice is not None:
            error = MissingData([_customer_problem(einvoice.invoice, problem)])
        else:
            buyer = document_of(einvoice).buyer
            error = MissingData([rules.field_problem(buyer.origin, "siren", problem)])
    elif reason == "SELLER_NOT_REGISTERED":
        document = document_of(einvoice)
        error = WrongSettings(
            [rules.field_problem(document.seller.origin, "siren", "invalid")],
            remote=remote,
            service="platform",
        )
    elif reason == "SCHEMA_INVALID":
        error = AutomationError(
            f"Internal error: the platform refused the file — {remote}",
            details={"reason": SCHEMA_INVALID, "remote": remote},
        )
    else:
        error = Refused("platform", remote)
    error.details["platform"] = {
        "code": event.code,
        "reason_code": reason,
        "message": event.message,
    }
    return error


def _retake_rejected_parties(einvoice: EInvoice) -> None:
    """After the platform rejected the invoice (213, 221), it is deemed never issued: the
    seller and buyer are taken again from the settings and the customer, which the user
    fixed, before it is sent again under its number (invoices.services.retake_parties)."""
    if einvoice.lifecycle not in REJECTIONS:
        return
    if einvoice.credit_note is not None:
        retaken = credit_notes.retake_parties(credit_note=einvoice.credit_note)
    else:
        assert einvoice.invoice is not None
        retaken = invoices.retake_parties(invoice=einvoice.invoice)
    if retaken:
        activity.log_event(
            record=einvoice,
            process=einvoice.process.name,
            event=Event.FIXED,
            message=texts.PARTIES_RETAKEN(),
            attempt=einvoice.attempts,
            task_id=einvoice.task_id,
        )


def _transmitted_file(invoice: Invoice) -> bytes:
    """The invoice's Factur-X, rebuilt when its XML is no longer what the invoice says (its
    parties taken again after a rejection, the seller's electronic address changed)."""
    from invoices.pdf import render_invoice_pdf

    current = b""
    if invoice.pdf:
        with invoice.pdf.open("rb") as stored:
            current = stored.read()
    expected = facturx.document_xml(invoice_document(invoice))
    try:
        if current and facturx.extract_xml(current) == expected:
            return current
    except Exception:  # noqa: S110 -- not a Factur-X: rebuilt below
        pass
    content = render_invoice_pdf(invoice)
    path = store_pdf(path=invoices.pdf_path(invoice), content=content)
    # The PDF is a bookkeeping column of an issued invoice (invoices.models).
    Invoice.objects.filter(pk=invoice.pk).update(pdf=path)
    return content


def transmit_einvoice(*, einvoice: EInvoice) -> None:
    """Send the invoice's or credit note's Factur-X to the platform, at most one accepted
    flow ever.

    Raises the cause of a failure (see activity.errors); the runner does the rest."""
    client = platform_client(einvoice)
    if einvoice.submitted_at is not None:
        # Sent before: the answer may have been lost. Ask before sending again.
        try:
            found = client.find(tracking_id=einvoice.tracking_id)
        except (OutcomeUnknown, PlatformDown):
            # PlatformDown: nothing was asked nor sent; the transmission waits for the
            # platform (its circuit) and looks the flow up again when it answers.
            raise
        except Unreachable as exc:
            # Still sent and still unanswered: if the attempts run out, À vérifier.
            raise OutcomeUnknown(exc.service, str(exc.details.get("error", ""))) from exc
        if found is not None and found.accepted:
            apply_flow(einvoice=einvoice, flow=found, source=FlowStatus.Source.POLLING)
            return
    if einvoice.credit_note_id:
        _retake_rejected_parties(einvoice)
        number, content = _credit_note_file(CreditNote.objects.get(pk=einvoice.credit_note_id))
    else:
        number, content = _invoice_file(einvoice)
    now = timezone.now()
    EInvoice.objects.filter(pk=einvoice.pk).update(submitted_at=now)
    einvoice.submitted_at = now
    flow = client.submit(
        tracking_id=einvoice.tracking_id, filename=f"{number}.pdf", content=content
    )
    apply_flow(einvoice=einvoice, flow=flow, source=FlowStatus.Source.SUBMISSION)
    if not flow.accepted:
        raise rejection_error(einvoice, flow.events[-1])


def _invoice_file(einvoice: EInvoice) -> tuple[str, bytes]:
    invoice = einvoice.invoice
    assert invoice is not None
    _retake_rejected_parties(einvoice)
    invoice.refresh_from_db()
    error = rules.error_for(check_transmission(invoice))
    if error is not None:
        raise error
    return invoice.number or "", _transmitted_file(invoice)


def _credit_note_file(credit_note: CreditNote) -> tuple[str, bytes]:
    """The credit note's Factur-X as issued (its parties taken again after a rejection)."""
    error = rules.error_for(rules.check(credit_note_document(credit_note), transmitted=True))
    if error is not None:
        raise error
    if not credit_note.pdf:
        raise AutomationError(
            f"Internal error: credit note {credit_note.number} has no PDF",
            details={"reason": NO_PDF, "number": credit_note.number},
        )
    with credit_note.pdf.open("rb") as stored:
        return credit_note.number, stored.read()


# --- Life-cycle statuses ----------------------------------------------------------------


@transaction.atomic
def apply_flow(*, einvoice: EInvoice, flow: Flow, source: str) -> list[FlowStatus]:
    """Store the flow's statuses we do not have yet (each once, by event id) and move the
    transmission accordingly. Returns the new statuses."""
    locked = EInvoice.objects.select_for_update().get(pk=einvoice.pk)
    added = []
    for event in flow.events:
        status, created = FlowStatus.objects.get_or_create(
            einvoice=locked,
            event_id=event.event_id,
            defaults={
                "code": event.code,
                "reason_code": event.reason_code,
                "message": event.message,
                "occurred_at": event.occurred_at,
                "flow_id": flow.flow_id,
                "source": source,
            },
        )
        if created:
            added.append(status)
    latest = locked.statuses.order_by("-occurred_at", "-id").first()
    changes: dict[str, object] = {"flow_id": flow.flow_id}
    if latest is not None:
        changes.update(lifecycle=latest.code, lifecycle_at=latest.occurred_at)
    EInvoice.objects.filter(pk=locked.pk).update(**changes)
    if flow.accepted:
        # Whatever the transmission was waiting for (its answer, a check), the platform
        # holds the flow: deposited, the last error cleared.
        EInvoice.objects.mark_succeeded(
            locked,
            status=EInvoice.Status.DEPOSITED,
            from_statuses=[
                EInvoice.Status.TRANSMITTING,
                EInvoice.Status.QUEUED,
                EInvoice.Status.UNKNOWN,
                EInvoice.Status.FAILED,
            ],
        )
    for status in added:
        _after_status(locked, status)
    return added


def _status_failure(einvoice: EInvoice, status: FlowStatus) -> AutomationError:
    if status.code == Lifecycle.REFUSED:
        # The buyer refused the invoice: a commercial decision, shown with its reason; the
        # invoice is corrected by a credit note, never sent again.
        label = f"{status.code} {status.get_code_display()}"
        return Refused(
            "buyer",
            status.message or label,
            details={"platform": {"code": Lifecycle.REFUSED.value}},
            final_status=EInvoice.Status.REFUSED,
        )
    # Rejected by the platform (213) or not routed (221): what to fix.
    return rejection_error(
        einvoice,
        FlowEvent(
            status.code, status.occurred_at, status.event_id, status.reason_code, status.message
        ),
    )


def _after_status(einvoice: EInvoice, status: FlowStatus) -> None:
    """What a status reported after deposit means for the user."""
    einvoice.refresh_from_db()
    if status.source == FlowStatus.Source.SUBMISSION:
        return  # the runner records the submission's outcome itself
    process = einvoice.process.name
    if status.code == Lifecycle.REFUSED or status.code in REJECTIONS:
        error = _status_failure(einvoice, status)
        activity.record_failure(
            record=einvoice,
            process=process,
            cause=error.cause,
            message=error.message,
            details=error.details,
            attempt=einvoice.attempts,
            status=einvoice.failure_status(error),
            from_statuses=(EInvoice.Status.DEPOSITED,),
        )
    else:
        text = (
            texts.STATUS_REPORTED_WITH_MESSAGE[status.code](message=status.message)
            if status.message
            else texts.STATUS_REPORTED[status.code]()
        )
        activity.log_event(record=einvoice, process=process, event=Event.SUCCEEDED, message=text)


def poll_einvoices(*, limit: int = 200) -> int:
    """The webhook's fallback: read the statuses of flows still moving."""
    changed = 0
    for einvoice in EInvoice.objects.to_poll().select_related("invoice").order_by("id")[:limit]:
        try:
            flow = platform_client(einvoice).get(flow_id=einvoice.flow_id)
        except Exception as exc:
            logger.warning("Polling %s failed: %s", einvoice, exc)
            continue
        if apply_flow(einvoice=einvoice, flow=flow, source=FlowStatus.Source.POLLING):
            changed += 1
    return changed


def reconcile_einvoice(*, einvoice: EInvoice, actor: User | None = None) -> str:
    """Ask the platform about a transmission whose outcome is unknown (À vérifier).

    An accepted flow → deposited. None → failed, and Retransmettre is safe. Platform
    unreachable → still to check. Returns the resulting status."""
    if einvoice.status != EInvoice.Status.UNKNOWN:
        return einvoice.status
    trigger = Trigger.USER if actor else Trigger.SCHEDULE
    process = einvoice.process.name
    try:
        found = platform_client(einvoice).find(tracking_id=einvoice.tracking_id)
    except Exception as exc:
        activity.log_event(
            record=einvoice,
            process=process,
            event=Event.RETRIED,
            level=Level.WARNING,
            actor=actor,
            trigger=trigger,
            message=texts.CHECK_NOT_ASKED(error=str(exc)[:200]),
        )
        return EInvoice.Status.UNKNOWN
    if found is not None and found.accepted:
        apply_flow(einvoice=einvoice, flow=found, source=FlowStatus.Source.POLLING)
        activity.log_event(
            record=einvoice,
            process=process,
            event=Event.SUCCEEDED,
            actor=actor,
            trigger=trigger,
            message=texts.CHECK_FOUND(flow_id=found.flow_id),
        )
        activity.resolve_alerts(record=einvoice)
        return EInvoice.Status.DEPOSITED
    with transaction.atomic():
        if EInvoice.objects.transition(
            einvoice,
            to=EInvoice.Status.FAILED,
            from_statuses=[EInvoice.Status.UNKNOWN],
            last_error_details={**einvoice.last_error_details, "reconciled": "absent"},
        ):
            activity.log_event(
                record=einvoice,
                process=process,
                event=Event.FIXED,
                actor=actor,
                trigger=trigger,
                message=texts.CHECK_ABSENT(),
            )
    return EInvoice.Status.FAILED


def reconcile_unknown_einvoices(*, limit: int = 200) -> int:
    settled = 0
    for einvoice in EInvoice.objects.unknown().select_related("invoice").order_by("id")[:limit]:
        if reconcile_einvoice(einvoice=einvoice) != EInvoice.Status.UNKNOWN:
            settled += 1
    return settled


def report_collected(*, limit: int = 200) -> int:
    """212 Encaissée for deposited invoices now fully paid (the payment data the reform
    asks for on services), once each."""
    from django.db.models import F

    sent = 0
    candidates = (
        EInvoice.objects.filter(
            status=EInvoice.Status.DEPOSITED,
            collected_sent_at__isnull=True,
            invoice__total_incl_vat__gt=0,
            invoice__amount_paid__gte=F("invoice__total_incl_vat"),
        )
        .exclude(flow_id="")
        .select_related("invoice")
        .order_by("id")[:limit]
    )
    for einvoice in candidates:
        invoice = einvoice.invoice
        assert invoice is not None  # filtered on its invoice: credit notes are not paid
        # The platform's language is French; our own timeline shows the same text.
        paid = format_amount(invoice.amount_paid, invoice.currency, lang="fr")
        try:
            platform_client(invoice).report_status(
                flow_id=einvoice.flow_id,
                code="212",
                message=f"Encaissée\u00a0: {paid}",
            )
        except Exception as exc:
            logger.warning("Reporting 212 for %s failed: %s", einvoice, exc)
            continue
        now = timezone.now()
        with transaction.atomic():
            if not EInvoice.objects.filter(pk=einvoice.pk, collected_sent_at__isnull=True).update(
                collected_sent_at=now, lifecycle="212", lifecycle_at=now
            ):
                continue
            FlowStatus.objects.get_or_create(
                einvoice=einvoice,
                event_id=f"seller:212:{einvoice.flow_id}",
                defaults={
                    "code": "212",
                    "message": paid,
                    "occurred_at": now,
                    "flow_id": einvoice.flow_id,
                    "source": FlowStatus.Source.SELLER,
                },
            )
            activity.log_event(
                record=einvoice,
                process=einvoice.process.name,
                event=Event.SUCCEEDED,
                trigger=Trigger.SCHEDULE,
                message=texts.COLLECTED_SENT(amount=invoice.amount_paid),
            )
        sent += 1
    return sent
