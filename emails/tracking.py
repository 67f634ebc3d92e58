"""Delivery events an ESP reports after accepting a message (webhooks): delivered,
bounced, marked as spam."""

from django.db import models
from django.utils import timezone

from activity import services as activity
from activity.models import Cause

from .models import EmailMessage


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
