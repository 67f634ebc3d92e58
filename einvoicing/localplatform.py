"""A local approved platform, for the tests and ``make run``.

It speaks the API of ``platform.HttpPlatform`` (AFNOR XP Z12-013-like), validates flows
minimally — a PDF carrying a Factur-X ``factur-x.xml`` valid against the XSD, a seller
registered with it, a buyer SIREN its registry knows, a buyer it can route to — and
notifies life-cycle statuses to a webhook, signed with HMAC-SHA256.

It can be told to misbehave, like a real platform on a bad day: reject the next flows
with a reason code, refuse an invoice on the buyer's behalf, answer slowly, never
answer (time-out), drop the connection after accepting a flow, or fail with 5xx.

    python -m einvoicing.localplatform --port 8765 --api-key KEY \
        --webhook-url http://127.0.0.1:8000/einvoicing/webhook/ORG/ --webhook-secret S
"""

import argparse
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from lxml import etree

# Reason codes of a rejection (213) or a routing error (221), with the platform's text.
REASONS = {
    "BUYER_SIREN_INVALID": "Le SIREN de l'acheteur est inconnu du répertoire SIRENE ou cessé.",
    "BUYER_SIREN_MISSING": "Le SIREN de l'acheteur (BT-47) est absent.",
    "BUYER_ADDRESS_UNKNOWN": "Aucune plateforme de réception n'est enregistrée pour "
    "l'adresse électronique de l'acheteur (BT-49) dans l'annuaire.",
    "SELLER_NOT_REGISTERED": "Le vendeur n'est pas inscrit auprès de cette plateforme.",
    "SCHEMA_INVALID": "Le fichier n'est pas une Factur-X EN 16931 valide.",
}
REFUSAL = "Facture refusée par l'acheteur : prestation non conforme à la commande."

NS = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


class LocalPlatform(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, api_key: str = "") -> None:
        super().__init__((host, port), _Handler)
        self.api_key = api_key
        self.lock = threading.Lock()
        self.webhook_url = ""
        self.webhook_secret = ""
        self.reset()

    def reset(self) -> None:
        self.flows: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.registered_sellers: set[str] | None = None  # None: every seller
        self.invalid_sirens: set[str] = set()
        self.unroutable_sirens: set[str] = set()
        self.reject_next: list[str] = []  # reason codes for the next submissions
        self.refuse_next = 0  # the buyer refuses the next N accepted flows
        self.fail_next: list[int] = []  # HTTP statuses for the next submissions
        self.fail_reads = 0  # the next N reads answer 503
        self.delay = 0.0  # seconds before answering a submission
        self.stall: threading.Event | None = None  # accept, then wait (client time-out)
        self.drop_after_accept = 0  # accept the next N flows, then close without answer
        self.accepted_event = threading.Event()
        self.notifications: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def accepted_flows(self, tracking_id: str | None = None) -> list[dict]:
        return [
            f
            for f in self.flows.values()
            if f["accepted"] and (tracking_id is None or f["trackingId"] == tracking_id)
        ]

    def add_status(self, flow: dict, code: str, reason: str = "", message: str = "") -> dict:
        status = {
            "eventId": uuid.uuid4().hex,
            "code": code,
            "date": _now(),
            "reasonCode": reason,
            "message": message or REASONS.get(reason, ""),
        }
        flow["statuses"].append(status)
        return status

    def notify(self, flow: dict, status: dict) -> None:
        """POST the status to the webhook (best effort, like a platform's first try)."""
        if not self.webhook_url:
            return
        body = json.dumps(
            {"flowId": flow["flowId"], "trackingId": flow["trackingId"], **status}
        ).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 -- a configured local URL
            self.webhook_url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Platform-Timestamp": timestamp,
                "X-Platform-Signature": sign(self.webhook_secret, timestamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
                self.notifications.append({**status, "http": answer.status})
        except Exception as exc:
            self.notifications.append({**status, "error": str(exc)})

    def refuse(self, flow: dict, message: str = REFUSAL) -> dict:
        with self.lock:
            status = self.add_status(flow, "210", "", message)
        self.notify(flow, status)
        return status


def _public(flow: dict) -> dict:
    return {k: v for k, v in flow.items() if k not in ("accepted", "content")}


def _inspect(content: bytes) -> tuple[dict[str, str], str]:
    """(facts from the embedded XML, reason code when the file is not a valid Factur-X)."""
    import facturx

    try:
        filename, xml = facturx.get_xml_from_pdf(content, check_xsd=False)
        if filename != "factur-x.xml" or not xml:
            return {}, "SCHEMA_INVALID"
        facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
        root = etree.fromstring(xml)
    except Exception:
        return {}, "SCHEMA_INVALID"

    def text(path: str) -> str:
        found = root.find(path, NS)
        return (found.text or "").strip() if found is not None else ""

    seller = ".//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID"
    buyer = ".//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID"
    return {"seller": text(seller), "buyer": text(buyer)}, ""


def _multipart(content_type: str, body: bytes) -> dict[str, bytes]:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    if not message.is_multipart():
        return {}
    fields: dict[str, bytes] = {}
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            fields[str(part.get_param("name", header="content-disposition"))] = payload
    return fields


class _Handler(BaseHTTPRequestHandler):
    server: LocalPlatform
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:
        pass

    def _send(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client is gone: its answer is lost

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {self.server.api_key}":
            return True
        self._send(401, {"error": "unauthorized", "message": "Clé d'API invalide."})
        return False

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.server.requests.append(("GET", parts.path))
        if not self._authorised():
            return
        query = dict(parse_qsl(parts.query))
        with self.server.lock:
            if self.server.fail_reads > 0:
                self.server.fail_reads -= 1
                self._send(503, {"error": "unavailable", "message": "Service indisponible."})
                return
            if parts.path == "/v1/flows":
                flows = [
                    _public(f)
                    for f in self.server.flows.values()
                    if f["trackingId"] == query.get("trackingId")
                ]
                self._send(200, {"flows": flows})
                return
            flow = self.server.flows.get(parts.path.removeprefix("/v1/flows/"))
            if flow is None:
                self._send(404, {"error": "not_found", "message": "Flux inconnu."})
                return
            self._send(200, _public(flow))

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        self.server.requests.append(("POST", parts.path))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if not self._authorised():
            return
        if parts.path == "/v1/flows":
            self._submit(body)
        elif parts.path.startswith("/v1/flows/") and parts.path.endswith("/statuses"):
            self._report(parts.path.split("/")[3], body)
        else:
            self._send(404, {"error": "not_found"})

    def _report(self, flow_id: str, body: bytes) -> None:
        server = self.server
        data = json.loads(body or b"{}")
        with server.lock:
            flow = server.flows.get(flow_id)
            if flow is None:
                self._send(404, {"error": "not_found", "message": "Flux inconnu."})
                return
            if any(s["code"] == data.get("code") for s in flow["statuses"]):
                self._send(409, _public(flow))
                return
            server.add_status(flow, str(data.get("code")), "", str(data.get("message", "")))
            self._send(201, _public(flow))

    def _submit(self, body: bytes) -> None:
        server = self.server
        form = _multipart(self.headers.get("Content-Type", ""), body)
        try:
            info = json.loads(form["flowInfo"])
            content = form["file"]
            tracking_id = info["trackingId"]
        except (KeyError, TypeError, ValueError):
            self._send(400, {"error": "bad_request", "message": "flowInfo et file attendus."})
            return
        if server.delay:
            time.sleep(server.delay)
        facts, reason = _inspect(content)
        with server.lock:
            if server.fail_next:
                http_status = server.fail_next.pop(0)
                self._send(
                    http_status, {"error": "unavailable", "message": "Service indisponible."}
                )
                return
            existing = server.accepted_flows(tracking_id)
            if existing:
                self._send(409, _public(existing[0]))
                return
            code = "200"
            if not reason and server.reject_next:
                reason = server.reject_next.pop(0)
            if not reason:
                if (
                    server.registered_sellers is not None
                    and facts["seller"] not in server.registered_sellers
                ):
                    reason = "SELLER_NOT_REGISTERED"
                elif not facts["buyer"]:
                    reason = "BUYER_SIREN_MISSING"
                elif facts["buyer"] in server.invalid_sirens:
                    reason = "BUYER_SIREN_INVALID"
                elif facts["buyer"] in server.unroutable_sirens:
                    reason = "BUYER_ADDRESS_UNKNOWN"
            if reason:
                code = "221" if reason == "BUYER_ADDRESS_UNKNOWN" else "213"
            flow = {
                "flowId": f"FLOW-{uuid.uuid4().hex[:16].upper()}",
                "trackingId": tracking_id,
                "name": info.get("name", ""),
                "submittedAt": _now(),
                "statuses": [],
                "accepted": not reason,
                "content": content,
            }
            status = server.add_status(flow, code, reason)
            server.flows[flow["flowId"]] = flow
            refuse = False
            if not reason:
                server.accepted_event.set()
                refuse = server.refuse_next > 0
                server.refuse_next -= 1 if refuse else 0
            drop = not reason and server.drop_after_accept > 0
            if drop:
                server.drop_after_accept -= 1
            stall = server.stall if not reason else None
        if drop:
            # Accepted, and the connection dies before the answer leaves.
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if stall is not None:
            stall.wait(timeout=60)
        self._send(201, _public(flow))
        threading.Thread(target=self._after, args=(flow, status, refuse), daemon=True).start()

    def _after(self, flow: dict, status: dict, refuse: bool) -> None:
        self.server.notify(flow, status)
        if refuse:
            self.server.refuse(flow)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default="pa-demo-key")
    parser.add_argument("--webhook-url", default="")
    parser.add_argument("--webhook-secret", default="")
    parser.add_argument(
        "--invalid-siren", action="append", default=[], help="SIREN the registry rejects"
    )
    parser.add_argument(
        "--unroutable-siren", action="append", default=[], help="SIREN with no platform"
    )
    args = parser.parse_args()
    server = LocalPlatform(port=args.port, api_key=args.api_key)
    server.webhook_url = args.webhook_url
    server.webhook_secret = args.webhook_secret
    server.invalid_sirens = set(args.invalid_siren)
    server.unroutable_sirens = set(args.unroutable_siren)
    print(f"Local e-invoicing platform on {server.url} (API key {args.api_key})", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
