"""The card-payment provider: Stripe's refund API through its official SDK.

Our runner owns retries (with backoff, history and alerts), so the SDK's own network
retries are off. Errors are turned into the automation's causes here.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from activity.errors import AutomationError, OutcomeUnknown, Refused, Unreachable

from .models import Refund

if TYPE_CHECKING:
    from stripe.params import RefundCreateParams


# What to do when the customer's card or bank will not take the money back.
_REFUND_ANOTHER_WAY = _(
    "Refund the customer another way (a bank transfer), then cancel this refund."
)
# Why Stripe says a refund failed (the refund's failure_reason), and what to do then.
FAILURE_REASONS = {
    "charge_for_pending_refund_disputed": (
        _("the customer disputes the payment"),
        _("Wait for the dispute to be settled in Stripe before refunding."),
    ),
    "declined": (
        _("the customer's bank declined the refund"),
        _REFUND_ANOTHER_WAY,
    ),
    "expired_or_canceled_card": (
        _("the customer's card has expired or was cancelled"),
        _REFUND_ANOTHER_WAY,
    ),
    "lost_or_stolen_card": (
        _("the customer's card was reported lost or stolen"),
        _REFUND_ANOTHER_WAY,
    ),
    "insufficient_funds": (
        _("your Stripe balance is too low for the refund"),
        _("Top up your Stripe balance, then click %(action)s."),
    ),
    "merchant_request": (_("the refund was cancelled from your Stripe account"), None),
    "unknown": (_("Stripe gave no reason"), None),
}


def refusal_code(failure_reason: str) -> str:
    return f"stripe:{failure_reason}"


def register_refusals() -> None:
    """Say each failure reason in the reader's language (activity.messages)."""
    from activity.messages import register_refusal

    for reason, (meaning, todo) in FAILURE_REASONS.items():
        register_refusal(refusal_code(reason), meaning, todo)


def _remote(exc: stripe.StripeError) -> str:
    error = exc.error  # the body's "error" object, when the provider answered
    message = getattr(error, "message", None) if error is not None else None
    return str(exc.user_message or message or exc)[:500]


def _body(obj: Any) -> Any:
    try:
        return obj.to_dict()
    except AttributeError:
        return obj


class StripeRefunds:
    def __init__(
        self,
        *,
        api_key: str,
        api_base: str,
        on_auth_error: Callable[[str], AutomationError],
    ) -> None:
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else {},
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=settings.REFUNDS_PROVIDER_TIMEOUT_SECONDS),
        )
        self.on_auth_error = on_auth_error

    def _translate(self, exc: stripe.StripeError, *, refund: Refund) -> AutomationError:
        status = exc.http_status
        # Once the refund was sent, an error without an answer leaves its outcome unknown.
        transient = OutcomeUnknown if refund.sent_at is not None else Unreachable
        if isinstance(exc, (stripe.AuthenticationError, stripe.PermissionError)):
            return self.on_auth_error(_remote(exc))
        if isinstance(exc, stripe.APIConnectionError):
            return transient("provider", _remote(exc))
        if isinstance(exc, stripe.RateLimitError):
            return transient("provider", f"HTTP 429 — {_remote(exc)}")
        if isinstance(exc, (stripe.InvalidRequestError, stripe.CardError, stripe.IdempotencyError)):
            return Refused(
                "provider",
                _remote(exc),
                details={"code": getattr(exc, "code", "") or "", "http_status": status},
            )
        if status is None or status >= 500 or status == 409:
            # 409: the same idempotency key is still being processed (a concurrent attempt)
            return transient("provider", f"HTTP {status} — {_remote(exc)}")
        return Refused("provider", f"HTTP {status} — {_remote(exc)}")

    def _record(self, refund: Refund, operation: str, exc: stripe.StripeError) -> None:
        refund.log_response(
            operation=operation,
            status=exc.http_status,
            body=exc.json_body or {"error": {"message": _remote(exc), "type": type(exc).__name__}},
        )

    def create(self, *, refund: Refund) -> dict[str, Any]:
        params: RefundCreateParams = {
            "payment_intent": refund.invoice.payment_reference,
            "amount": int(refund.amount * 100),
            "metadata": {"refund_id": str(refund.pk), "organisation": str(refund.organisation_id)},
        }
        try:
            created = self.client.v1.refunds.create(
                params=params,
                options={"idempotency_key": str(refund.idempotency_key)},
            )
        except stripe.StripeError as exc:
            self._record(refund, "create", exc)
            raise self._translate(exc, refund=refund) from exc
        body = _body(created)
        refund.log_response(operation="create", status=200, body=body)
        return body

    def find(self, *, refund: Refund) -> dict[str, Any] | None:
        """The provider's refund made for ours, matched on metadata.refund_id, or None."""
        try:
            listing = self.client.v1.refunds.list(
                params={"payment_intent": refund.invoice.payment_reference, "limit": 100}
            )
            matches = [
                body
                for body in (_body(item) for item in listing.auto_paging_iter())
                if (body.get("metadata") or {}).get("refund_id") == str(refund.pk)
            ]
        except stripe.StripeError as exc:
            self._record(refund, "lookup", exc)
            raise self._translate(exc, refund=refund) from exc
        found = next((m for m in matches if m.get("status") not in ("failed", "canceled")), None)
        refund.log_response(
            operation="lookup",
            status=200,
            body={"found": found["id"] if found else None, "matches": len(matches)},
        )
        return found
