"""ESP tracking webhooks (django-anymail): delivered, bounced, complained.

Anymail checks the request's HTTP basic auth against ANYMAIL["WEBHOOK_SECRET"]; without
a secret the endpoint answers 404 rather than accept events from anyone.
"""

from anymail.signals import AnymailTrackingEvent, tracking
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

TRACKING_VIEWS = {
    "postmark": PostmarkTrackingWebhookView,
    "mailgun": MailgunTrackingWebhookView,
}


@csrf_exempt
def tracking_webhook(request: HttpRequest, esp: str) -> HttpResponse:
    view_class = TRACKING_VIEWS.get(esp)
    if view_class is None or not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        raise Http404
    return view_class.as_view()(request)


def on_tracking(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    from . import tracking

    if not event.message_id:
        return
    tracking.record_delivery_event(
        provider_message_id=str(event.message_id),
        event_type=str(event.event_type),
        description=str(event.mta_response or event.description or event.reject_reason or ""),
    )


def connect() -> None:
    tracking.connect(on_tracking, dispatch_uid="emails.on_tracking")
