"""A local stand-in for Stripe's refund API, speaking what the official SDK speaks.

POST /v1/refunds (form-encoded, Idempotency-Key: same key → the same answer, never a
second refund) and GET /v1/refunds (list, filtered by payment_intent, paginated with
starting_after). Bearer authentication: a wrong key gets Stripe's 401. Failures can be
programmed: errors for the next POSTs, a delay or a stall AFTER a refund is created
(the answer is lost), and refusals when a payment is already refunded.
"""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

GOOD_KEY = "sk_test_commbilling"


def _nested(pairs: list[tuple[str, str]]) -> dict[str, object]:
    """metadata[refund_id]=5 → {"metadata": {"refund_id": "5"}}"""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if "[" in key:
            outer, inner = key.rstrip("]").split("[", 1)
            result.setdefault(outer, {})[inner] = value
        else:
            result[key] = value
    return result


class FakeStripe(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.refunds: list[dict] = []
        self.charges: dict[str, int] = {}  # payment intent → amount captured, in cents
        self.idempotency: dict[str, tuple[int, dict]] = {}
        self.fail_posts: list[tuple[int, str]] = []  # next POSTs answer (status, code)
        self.fail_gets: list[tuple[int, str]] = []
        # The next refunds created fail at once with these failure reasons, as Stripe's
        # "failed" refunds do (an expired card): answered 200, status "failed".
        self.fail_refunds: list[str] = []
        self.delay_after_create = 0.0
        self.stall_after_create: threading.Event | None = None
        self.created_event = threading.Event()
        self.requests: list[tuple[str, str, str]] = []  # (method, path, idempotency key)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def refunds_for(self, payment_intent: str) -> list[dict]:
        return [r for r in self.refunds if r["payment_intent"] == payment_intent]

    def posts(self) -> int:
        return sum(1 for method, _, _ in self.requests if method == "POST")


def _error(status: int, code: str, message: str = "", kind: str = "") -> dict:
    kind = kind or ("api_error" if status >= 500 else "invalid_request_error")
    return {"error": {"type": kind, "code": code, "message": message or code}}


class _Handler(BaseHTTPRequestHandler):
    server: FakeStripe

    def log_message(self, format, *args) -> None:
        pass

    def _send(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Request-Id", f"req_{uuid.uuid4().hex[:14]}")
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client is gone (timed out, killed): its answer is lost

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {GOOD_KEY}":
            return True
        key = self.headers.get("Authorization", "").removeprefix("Bearer ")
        self._send(
            401,
            _error(401, "", f"Invalid API Key provided: {key[:8]}***", "invalid_request_error"),
        )
        return False

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.server.requests.append(("GET", parts.path, ""))
        if not self._authorised():
            return
        if parts.path != "/v1/refunds":
            self._send(
                404, _error(404, "resource_missing", f"Unrecognized request URL {parts.path}")
            )
            return
        with self.server.lock:
            if self.server.fail_gets:
                status, code = self.server.fail_gets.pop(0)
                self._send(status, _error(status, code))
                return
            query = dict(parse_qsl(parts.query))
            rows = list(reversed(self.server.refunds))  # newest first, like Stripe
        if "payment_intent" in query:
            rows = [r for r in rows if r["payment_intent"] == query["payment_intent"]]
        if "starting_after" in query:
            ids = [r["id"] for r in rows]
            rows = (
                rows[ids.index(query["starting_after"]) + 1 :]
                if query["starting_after"] in ids
                else []
            )
        limit = int(query.get("limit", 10))
        self._send(
            200,
            {
                "object": "list",
                "url": "/v1/refunds",
                "has_more": len(rows) > limit,
                "data": rows[:limit],
            },
        )

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        params = _nested(parse_qsl(self.rfile.read(length).decode()))
        key = self.headers.get("Idempotency-Key", "")
        self.server.requests.append(("POST", self.path, key))
        if not self._authorised():
            return
        if self.path != "/v1/refunds":
            self._send(404, _error(404, "resource_missing"))
            return
        server = self.server
        stall = None
        with server.lock:
            if key and key in server.idempotency:
                status, body = server.idempotency[key]
                self._send(status, body)
                return
            if server.fail_posts:
                status, code = server.fail_posts.pop(0)
                body = _error(status, code, _messages.get(code, code))
                if status < 500 and status not in (409, 429):  # not executed: not kept
                    server.idempotency[key] = (status, body)
                self._send(status, body)
                return
            status, body = self._create(params)
            if key:
                server.idempotency[key] = (status, body)
            if status == 200:
                stall = server.stall_after_create
                server.created_event.set()
        if status == 200 and server.delay_after_create:
            time.sleep(server.delay_after_create)
        if stall is not None:
            stall.wait(timeout=60)
        self._send(status, body)

    def _create(self, params: dict) -> tuple[int, dict]:
        server = self.server
        intent = str(params.get("payment_intent", ""))
        if intent not in server.charges:
            return 400, _error(400, "resource_missing", f"No such payment_intent: '{intent}'")
        amount = int(str(params.get("amount", "0")))
        refunded = sum(r["amount"] for r in server.refunds_for(intent) if r["status"] != "failed")
        if refunded >= server.charges[intent]:
            return 400, _error(400, "charge_already_refunded", _messages["charge_already_refunded"])
        if amount + refunded > server.charges[intent]:
            return 400, _error(400, "amount_too_large", _messages["amount_too_large"])
        refund = {
            "id": f"re_{uuid.uuid4().hex[:24]}",
            "object": "refund",
            "amount": amount,
            "currency": "eur",
            "payment_intent": intent,
            "status": "succeeded",
            "metadata": params.get("metadata", {}),
            "created": int(time.time()),
        }
        if server.fail_refunds:
            refund |= {"status": "failed", "failure_reason": server.fail_refunds.pop(0)}
        server.refunds.append(refund)
        return 200, refund


_messages = {
    "charge_already_refunded": "Charge ch_1 has already been refunded.",
    "amount_too_large": "Refund amount is greater than the amount remaining on the charge.",
    "rate_limit": "Too many requests hit the API too quickly.",
}
