"""The approved platform (plateforme agréée) behind one interface.

``Platform`` is what the services use; ``HttpPlatform`` speaks an API modelled on AFNOR
XP Z12-013 (the API between a company's software and its platform), as far as it is
public:

- ``POST /v1/flows`` (multipart: ``flowInfo`` JSON with our ``trackingId``, and ``file``
  the Factur-X PDF) → 201 with the flow: ``flowId`` and its first statuses (200 Déposée,
  or 213 Rejetée / 221 Erreur de routage with a ``reasonCode``); 409 when an accepted
  flow already has this tracking id (its flow is returned);
- ``GET /v1/flows?trackingId=…`` → the flows submitted under a tracking id;
- ``GET /v1/flows/{flowId}`` → the flow and all its statuses;
- ``POST /v1/flows/{flowId}/statuses`` → a status the seller reports (212 Encaissée);
- the platform notifies statuses to our webhook, signed (see ``webhooks.py``).

Errors become the automation's causes here: no connection is connectivity (retried);
an answer lost after the request left (time-out, connection dropped, 5xx) is an unknown
outcome (looked up before anything is sent again); 401/403 is wrong settings (the key).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.dateparse import parse_datetime

from activity import reasons
from activity.errors import AutomationError, OutcomeUnknown, Unreachable

SERVICE = "platform"

# The reason code of an answer the platform's API does not document (worded in apps.py).
UNEXPECTED_ANSWER = "platform_unexpected_answer"


class PlatformDown(Unreachable):
    """Nothing reached the platform (connection refused, not resolved, connect time-out):
    safe to try again, and what the circuit breaker waits out (incidents.circuits)."""

    service_down = True


@dataclass(frozen=True)
class FlowEvent:
    code: str
    occurred_at: datetime
    event_id: str
    reason_code: str = ""
    message: str = ""


@dataclass(frozen=True)
class Flow:
    flow_id: str
    tracking_id: str
    events: list[FlowEvent] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """The platform took the flow (not rejected by its checks nor unroutable)."""
        return not any(e.code in ("213", "221") for e in self.events)


def _flow(body: dict[str, Any]) -> Flow:
    return Flow(
        flow_id=str(body["flowId"]),
        tracking_id=str(body.get("trackingId", "")),
        events=[
            FlowEvent(
                code=str(s["code"]),
                occurred_at=parse_datetime(s["date"]) or datetime.fromisoformat(s["date"]),
                event_id=str(s.get("eventId") or f"{body['flowId']}:{s['code']}:{s['date']}"),
                reason_code=str(s.get("reasonCode") or ""),
                message=str(s.get("message") or ""),
            )
            for s in body.get("statuses", [])
        ],
    )


class Platform(Protocol):
    def ping(self) -> None: ...

    def submit(self, *, tracking_id: str, filename: str, content: bytes) -> Flow: ...

    def find(self, *, tracking_id: str) -> Flow | None: ...

    def get(self, *, flow_id: str) -> Flow: ...

    def report_status(self, *, flow_id: str, code: str, message: str = "") -> None: ...


class HttpPlatform:
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        on_auth_error: Callable[[str], AutomationError],
        timeout: float | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"
        self.timeout = timeout or settings.EINVOICING_PLATFORM_TIMEOUT_SECONDS
        self.on_auth_error = on_auth_error

    def _call(
        self, method: str, path: str, *, sends: bool = False, **kwargs: Any
    ) -> requests.Response:
        """``sends``: the request changes something at the platform, so a lost answer
        leaves its outcome unknown."""
        lost = OutcomeUnknown if sends else Unreachable
        # The reason codes say, in the reader's language, what the raw text (kept for
        # support) says in urllib3's.
        where = {"host": urlsplit(self.base_url).hostname or ""}
        try:
            response = self.session.request(
                method, f"{self.base_url}{path}", timeout=self.timeout, **kwargs
            )
        except requests.exceptions.ConnectTimeout as exc:
            raise PlatformDown(
                SERVICE, f"connection timed out ({exc})", reason=reasons.TIMEOUT, **where
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            # Refused before anything was sent, or dropped after: only the former is safe.
            if _never_connected(exc):
                raise PlatformDown(
                    SERVICE,
                    f"connection refused ({exc})",
                    reason=reasons.reason_in(exc, reasons.CONNECTION_REFUSED),
                    **where,
                ) from exc
            raise lost(
                SERVICE,
                f"connection lost before the answer ({exc})",
                reason=reasons.reason_in(exc, reasons.DISCONNECTED),
                **where,
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise lost(
                SERVICE, f"no answer within {self.timeout:g} s", reason=reasons.TIMEOUT, **where
            ) from exc
        if response.status_code in (401, 403):
            raise self.on_auth_error(f"HTTP {response.status_code} — {_text(response)}")
        if response.status_code == 429 or response.status_code >= 500:
            raise lost(
                SERVICE,
                f"HTTP {response.status_code} — {_text(response)}",
                reason=reasons.TEMPORARY_REFUSAL,  # it answered: "not now"
            )
        return response

    def submit(self, *, tracking_id: str, filename: str, content: bytes) -> Flow:
        info = {
            "trackingId": tracking_id,
            "name": filename,
            "flowSyntax": "Factur-X",
            "flowProfile": "EN16931",
            "processingRule": "B2B",
        }
        response = self._call(
            "POST",
            "/v1/flows",
            sends=True,
            files={
                "flowInfo": (None, json.dumps(info), "application/json"),
                "file": (filename, content, "application/pdf"),
            },
        )
        if response.status_code in (200, 201, 409):
            return _flow(response.json())
        raise AutomationError(
            f"Internal error: the platform answered HTTP {response.status_code} to a "
            f"submission — {_text(response)}",
            details={
                "service": SERVICE,
                "remote": _text(response),
                "reason": UNEXPECTED_ANSWER,
                "status": response.status_code,
            },
        )

    def find(self, *, tracking_id: str) -> Flow | None:
        """The flow the platform holds for our tracking id: the accepted one if any,
        else the latest (a rejected one), else None."""
        response = self._call("GET", "/v1/flows", params={"trackingId": tracking_id})
        if response.status_code != 200:
            raise Unreachable(SERVICE, f"HTTP {response.status_code} — {_text(response)}")
        flows = [_flow(body) for body in response.json().get("flows", [])]
        accepted = [f for f in flows if f.accepted]
        if accepted:
            return accepted[-1]
        return flows[-1] if flows else None

    def get(self, *, flow_id: str) -> Flow:
        response = self._call("GET", f"/v1/flows/{flow_id}")
        if response.status_code != 200:
            raise Unreachable(SERVICE, f"HTTP {response.status_code} — {_text(response)}")
        return _flow(response.json())

    def ping(self) -> None:
        """Return when the platform answers at all (the circuit breaker's health probe),
        raise Unreachable when it does not. A refused key is an answer: the platform is
        up, and the transmission itself reports the key as wrong settings."""
        try:
            self._call("GET", "/v1/flows", params={"trackingId": "healthcheck"})
        except Unreachable:
            raise
        except AutomationError:
            return

    def report_status(self, *, flow_id: str, code: str, message: str = "") -> None:
        response = self._call(
            "POST",
            f"/v1/flows/{flow_id}/statuses",
            sends=True,
            json={"code": code, "message": message},
        )
        if response.status_code not in (200, 201, 409):
            raise Unreachable(SERVICE, f"HTTP {response.status_code} — {_text(response)}")


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    text = repr(exc)
    return any(
        marker in text
        for marker in ("ConnectionRefusedError", "NewConnectionError", "NameResolutionError")
    )


def _text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)[:300]
    return str(body)[:300]
