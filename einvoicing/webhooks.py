"""Life-cycle statuses pushed by the platform: authenticated and replay-safe.

The platform signs ``"{timestamp}.{body}"`` with HMAC-SHA256 and the organisation's
webhook secret (``X-Platform-Timestamp``, ``X-Platform-Signature``). A notification older
than ``EINVOICING_WEBHOOK_TOLERANCE_SECONDS`` is refused, and each status event is stored
once (by its event id): a captured request replayed later, or a status seen by polling
too, changes nothing.
"""

import hashlib
import hmac
import json
import time

from django.conf import settings

from .platform import Flow, FlowEvent, _flow


class BadNotification(Exception):
    pass


def verify(*, secret: str, timestamp: str, signature: str, body: bytes) -> None:
    if not secret:
        raise BadNotification("no webhook secret configured")
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError as exc:
        raise BadNotification("missing or malformed timestamp") from exc
    if age > settings.EINVOICING_WEBHOOK_TOLERANCE_SECONDS:
        raise BadNotification("timestamp outside the tolerance window (replay?)")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), signature):
        raise BadNotification("bad signature")


def parse(body: bytes) -> tuple[Flow, FlowEvent]:
    try:
        data = json.loads(body)
        flow = _flow({**data, "statuses": [data]})
    except (ValueError, KeyError, TypeError) as exc:
        raise BadNotification(f"malformed notification: {exc}") from exc
    return flow, flow.events[0]
