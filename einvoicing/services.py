"""E-invoicing services: which invoices go to the platform, their transmission (never
twice), the life-cycle statuses the platform reports, and the ones we report.

The guarantee, like refunds': the time a flow is sent is recorded before the platform is
called, and the flow carries a stable tracking id (seller SIREN + invoice number). When an
answer is lost (time-out, dropped connection, killed worker), the next attempt first asks
the platform for that tracking id and sends again only if it holds no accepted flow. If it
cannot be asked, the transmission shows *À vérifier* and a periodic job checks it.
"""

import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from activity import services as activity
from activity.errors import (
    AutomationError,
    FieldProblem,
    MissingData,
    OutcomeUnknown,
    Refused,
    Unreachable,
    WrongSettings,
)
from activity.models import Cause, Event, Level, Trigger
from invoices.models import Invoice
from invoices.services import company_settings_for, pdf_path, store_pdf

from . import facturx, rules
from .models import EInvoice, FlowStatus, PlatformSettings
from .platform import Flow, FlowEvent, HttpPlatform
from .source import invoice_document

logger = logging.getLogger(__name__)


# --- Who is transmitted -------------------------------------------------------------


def transmission_exclusion(invoice: Invoice):
    """Why this invoice does not go through the platform, or None when it does.

    The reform's e-invoicing covers sales between businesses established in France; sales
    to private individuals (B2C) and international sales are reported (e-reporting)."""
    customer = invoice.customer
    if not PlatformSettings.for_organisation(invoice.organisation).enabled:
        return _(
            "Not transmitted: e-invoicing through an approved platform is off in the settings."
        )
    if not customer.is_business:
        return _(
            "Not transmitted to the e-invoicing platform: the buyer is a private individual "
            "(B2C sales are reported to the tax authority, not e-invoiced)."
        )
    if customer.country != "FR":
        return _(
            "Not transmitted to the e-invoicing platform: the buyer is not established in "
            "France (international sales are reported to the tax authority, not e-invoiced)."
        )
    return None


def tracking_id_for(invoice: Invoice) -> str:
    return f"{company_settings_for(invoice.organisation).siren}-{invoice.number}"


def queue_transmission(*, invoice: Invoice, actor: User | None = None) -> EInvoice | None:
    """Create and queue the invoice's transmission, once. Call it in the transaction that
    completes the invoice's generation, so the outbox holds both or neither."""
    if transmission_exclusion(invoice) is not None:
        return None
    with transaction.atomic():
        einvoice, created = EInvoice.objects.get_or_create(
            invoice=invoice,
            defaults={
                "organisation": invoice.organisation,
                "tracking_id": tracking_id_for(invoice),
            },
        )
        if created:
            activity.queue_record(
                record=einvoice,
                from_statuses=(EInvoice.Status.QUEUED,),
                actor=actor,
                trigger=Trigger.SYSTEM,
                message=f"Transmission of {invoice.number} to the platform queued",
            )
    return einvoice


# --- Checks before anything leaves -----------------------------------------------------


def check_transmission(invoice: Invoice) -> list[rules.Violation]:
    """The EN 16931 and French rules a transmission of this invoice would break."""
    violations = rules.check(invoice_document(invoice), transmitted=True)
    if not invoice.number:
        # A draft gets its number and dates when it is issued.
        violations = [v for v in violations if v.rule not in ("BR-02", "BR-03")]
    return violations


def _settings_problem(platform: PlatformSettings, field: str, problem: str) -> FieldProblem:
    return FieldProblem(
        model="platformsettings",
        object_id=platform.pk,
        record=str(platform),
        field=field,
        label=str(platform._meta.get_field(field).verbose_name),
        problem=problem,
        fix_url=reverse("einvoicing:settings"),
    )


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
    return rules.field_problem(invoice_document(invoice).buyer.origin, "siren", problem)


def rejection_error(einvoice: EInvoice, event: FlowEvent) -> AutomationError:
    """The platform's reason code (213 Rejetée, 221 Erreur de routage) → a cause naming
    what to fix."""
    invoice = einvoice.invoice
    remote = f"{event.code} {event.reason_code}: {event.message}".strip()
    reason = event.reason_code
    error: AutomationError
    if reason in ("BUYER_SIREN_INVALID", "BUYER_ADDRESS_UNKNOWN"):
        # An unknown SIREN, or no platform registered for the address derived from it.
        error = MissingData([_customer_problem(invoice, "invalid")])
    elif reason == "BUYER_SIREN_MISSING":
        error = MissingData([_customer_problem(invoice, "missing")])
    elif reason == "SELLER_NOT_REGISTERED":
        document = invoice_document(invoice)
        error = WrongSettings(
            [rules.field_problem(document.seller.origin, "siren", "invalid")],
            remote=remote,
            service="platform",
        )
    elif reason == "SCHEMA_INVALID":
        error = AutomationError(f"Internal error: the platform refused the file — {remote}")
    else:
        error = Refused("platform", remote)
    error.details["platform"] = {
        "code": event.code,
        "reason_code": reason,
        "message": event.message,
    }
    return error


def _transmitted_file(invoice: Invoice) -> bytes:
    """The invoice's Factur-X. Rebuilt when its data changed since it was generated: only
    reachable while the platform holds no accepted flow (after a rejection and a fix),
    when the invoice has not legally been received."""
    from invoices.pdf import render_invoice_pdf

    current = invoice.pdf.read() if invoice.pdf else b""
    invoice.pdf.close() if invoice.pdf else None
    expected = facturx.document_xml(invoice_document(invoice))
    try:
        if current and facturx.extract_xml(current) == expected:
            return current
    except Exception:  # noqa: S110 -- not a Factur-X: rebuilt below
        pass
    content = render_invoice_pdf(invoice)
    stored = store_pdf(path=pdf_path(invoice), content=content)
    Invoice.objects.filter(pk=invoice.pk).update(pdf=stored)
    return content


def transmit_einvoice(*, einvoice: EInvoice) -> None:
    """Send the invoice's Factur-X to the platform, at most one accepted flow ever.

    Raises the cause of a failure (see activity.errors); the runner does the rest."""
    invoice = einvoice.invoice
    error = rules.error_for(check_transmission(invoice))
    if error is not None:
        raise error
    client = platform_client(invoice)
    if einvoice.submitted_at is not None:
        # Sent before: the answer may have been lost. Ask before sending again.
        try:
            found = client.find(tracking_id=einvoice.tracking_id)
        except OutcomeUnknown:
            raise
        except Unreachable as exc:
            # Still sent and still unanswered: if the attempts run out, À vérifier.
            raise OutcomeUnknown(exc.service, str(exc.details.get("error", ""))) from exc
        if found is not None and found.accepted:
            apply_flow(einvoice=einvoice, flow=found, source=FlowStatus.Source.POLLING)
            return
    content = _transmitted_file(invoice)
    now = timezone.now()
    EInvoice.objects.filter(pk=einvoice.pk).update(submitted_at=now)
    einvoice.submitted_at = now
    flow = client.submit(
        tracking_id=einvoice.tracking_id, filename=f"{invoice.number}.pdf", content=content
    )
    apply_flow(einvoice=einvoice, flow=flow, source=FlowStatus.Source.SUBMISSION)
    if not flow.accepted:
        raise rejection_error(einvoice, flow.events[-1])


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
    if flow.accepted and locked.status in (
        EInvoice.Status.QUEUED,
        EInvoice.Status.TRANSMITTING,
        EInvoice.Status.UNKNOWN,
        EInvoice.Status.FAILED,
    ):
        EInvoice.objects.filter(pk=locked.pk).update(
            status=EInvoice.Status.DEPOSITED,
            last_cause="",
            last_error="",
            last_error_details={},
            failed_at=None,
            next_retry_at=None,
        )
    for status in added:
        _after_status(locked, status)
    return added


def _after_status(einvoice: EInvoice, status: FlowStatus) -> None:
    """What a status reported after deposit means for the user."""
    einvoice.refresh_from_db()
    if status.source == FlowStatus.Source.SUBMISSION:
        return  # the runner records the submission's outcome itself
    label = f"{status.code} {status.get_code_display()}"
    if status.code == "210":
        error = Refused("buyer", status.message or label, details={"platform": {"code": "210"}})
        activity.record_failure(
            record=einvoice,
            process=einvoice.PROCESS,
            cause=Cause.REFUSED,
            message=error.message,
            details=error.details,
            attempt=einvoice.attempts,
            status=EInvoice.Status.REFUSED,
        )
    elif status.code in ("213", "221"):
        error = rejection_error(
            einvoice,
            FlowEvent(
                status.code, status.occurred_at, status.event_id, status.reason_code, status.message
            ),
        )
        activity.record_failure(
            record=einvoice,
            process=einvoice.PROCESS,
            cause=error.cause,
            message=error.message,
            details=error.details,
            attempt=einvoice.attempts,
        )
    else:
        activity.log_event(
            record=einvoice,
            process=einvoice.PROCESS,
            event=Event.SUCCEEDED,
            message=f"Platform status {label}" + (f": {status.message}" if status.message else ""),
        )


def poll_einvoices(*, limit: int = 200) -> int:
    """The webhook's fallback: read the statuses of flows still moving."""
    changed = 0
    for einvoice in EInvoice.objects.to_poll().select_related("invoice").order_by("id")[:limit]:
        try:
            flow = platform_client(einvoice.invoice).get(flow_id=einvoice.flow_id)
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
    try:
        found = platform_client(einvoice.invoice).find(tracking_id=einvoice.tracking_id)
    except Exception as exc:
        activity.log_event(
            record=einvoice,
            process=einvoice.PROCESS,
            event=Event.RETRIED,
            level=Level.WARNING,
            actor=actor,
            trigger=trigger,
            message=f"Check: the platform could not be asked ({exc}); still to check",
        )
        return EInvoice.Status.UNKNOWN
    if found is not None and found.accepted:
        apply_flow(einvoice=einvoice, flow=found, source=FlowStatus.Source.POLLING)
        activity.log_event(
            record=einvoice,
            process=einvoice.PROCESS,
            event=Event.SUCCEEDED,
            actor=actor,
            trigger=trigger,
            message=f"Check: the platform holds flow {found.flow_id}",
        )
        activity.resolve_alerts(record=einvoice)
        return EInvoice.Status.DEPOSITED
    with transaction.atomic():
        updated = EInvoice.objects.filter(pk=einvoice.pk, status=EInvoice.Status.UNKNOWN).update(
            status=EInvoice.Status.FAILED,
            last_error_details={**einvoice.last_error_details, "reconciled": "absent"},
        )
        if updated:
            activity.log_event(
                record=einvoice,
                process=einvoice.PROCESS,
                event=Event.FIXED,
                actor=actor,
                trigger=trigger,
                message="Check: the platform holds no accepted flow for this invoice; "
                "Retransmit sends it safely",
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
        try:
            platform_client(invoice).report_status(
                flow_id=einvoice.flow_id,
                code="212",
                message=f"Encaissée : {invoice.amount_paid} {invoice.currency}",
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
                    "message": f"{invoice.amount_paid} {invoice.currency}",
                    "occurred_at": now,
                    "flow_id": einvoice.flow_id,
                    "source": FlowStatus.Source.SELLER,
                },
            )
            activity.log_event(
                record=einvoice,
                process=einvoice.PROCESS,
                event=Event.SUCCEEDED,
                trigger=Trigger.SCHEDULE,
                message="Status 212 Collected sent to the platform",
            )
        sent += 1
    return sent
