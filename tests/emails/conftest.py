"""A real SMTP server on loopback (aiosmtpd) that the code under test talks to.

The handler records a message only when it is about to answer 250 to its DATA: a
client that dies while the server holds the DATA (``hold``) cancels the handler, so a
message counts as received only if its acceptance could reach the client.
"""

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from accounts.models import CompanySettings

SMTP_USER = "mailer"
SMTP_PASSWORD = "right-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class RecordingHandler:
    received: list[Received] = field(default_factory=list)
    # Replies to the next DATA commands, in order ("421 …", "451 …"); then 250.
    data_replies: list[str] = field(default_factory=list)
    # Addresses refused at RCPT with this reply.
    refuse: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hold: bool = False
    connections: int = 0  # EHLO/HELO greetings: one per client connection
    in_data: int = 0
    data_commands: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.in_data += 1
            self.data_commands += 1
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            while self.hold:
                await asyncio.sleep(0.005)
            with self.lock:
                if self.data_replies:
                    return self.data_replies.pop(0)
                parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
                self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
                return f"250 2.0.0 Ok: queued as Q{len(self.received):06d}"
        finally:
            with self.lock:
                self.in_data -= 1

    def message_ids(self) -> list[str]:
        with self.lock:
            return [r.message_id for r in self.received]


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode() == SMTP_USER and auth_data.password.decode() == SMTP_PASSWORD
    )
    return AuthResult(success=ok, handled=False)


@dataclass
class SMTPServer:
    handler: RecordingHandler
    port: int
    controller: Controller

    def point(self, organisation, **extra) -> CompanySettings:
        """Make the organisation's own SMTP settings point at this server."""
        company = CompanySettings.objects.get(organisation=organisation)
        for name, value in {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "smtp_username": "",
            "smtp_password": "",
            "smtp_use_tls": False,
            **extra,
        }.items():
            setattr(company, name, value)
        company.save()
        return company


@pytest.fixture(autouse=True)
def _no_kept_smtp_connections() -> Iterator[None]:
    """A connection kept by one test is never used by the next (emails.connections)."""
    from emails import connections

    connections.close_all()
    yield
    connections.close_all()


@pytest.fixture
def smtp_server_factory() -> Iterator[Callable[..., SMTPServer]]:
    started: list[Controller] = []

    def start(
        *, auth: bool = False, idle_timeout: float | None = None, **handler_options
    ) -> SMTPServer:
        handler = RecordingHandler(**handler_options)
        port = free_port()
        options: dict = {} if idle_timeout is None else {"timeout": idle_timeout}
        if auth:
            options |= {
                "authenticator": _authenticator,
                "auth_required": True,
                "auth_require_tls": False,
            }
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        started.append(controller)
        return SMTPServer(handler=handler, port=port, controller=controller)

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def smtp_server(smtp_server_factory) -> SMTPServer:
    return smtp_server_factory()
