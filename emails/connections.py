"""SMTP connections a worker process keeps open between messages to the same server.

A burst of messages (a month's invoices) to one server costs one TCP connection, one
EHLO, one STARTTLS and one AUTH per worker process instead of one per message. Each
message keeps its own guarantees (claimed, attempt written before its first byte,
acceptance committed right after its 250): only the connection is shared.

A kept connection is used again only if it is young enough and answers NOOP; otherwise it
is closed and a new one is opened before anything of the message is sent, so a server
that closed it (idle timeout, restart) never causes a failure nor a double send. After any
error the connection is dropped: its state is unknown.
"""

import contextlib
import smtplib
import time
from collections.abc import Iterator

from celery.signals import worker_process_shutdown
from django.core.mail.backends import smtp

# Servers drop idle clients after a few minutes (RFC 5321 suggests 5): stay well below.
MAX_IDLE_SECONDS = 60.0

_kept: dict[tuple, tuple[smtp.EmailBackend, float]] = {}


def _key(backend: smtp.EmailBackend) -> tuple:
    return (
        type(backend),
        backend.host,
        backend.port,
        backend.username,
        backend.password,
        backend.use_tls,
        backend.use_ssl,
        backend.timeout,
    )


def _alive(backend: smtp.EmailBackend) -> bool:
    try:
        return backend.connection is not None and backend.connection.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False


def _discard(backend: smtp.EmailBackend) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):
        backend.close()
    backend.connection = None


@contextlib.contextmanager
def kept_open(backend) -> Iterator:
    """The backend to send with: for SMTP, an open connection to the same server kept
    from an earlier message when it still answers, else ``backend`` freshly opened (and
    kept for the next message if the sending succeeds). Other backends (an ESP's API)
    are used as they are."""
    if not isinstance(backend, smtp.EmailBackend):
        yield backend
        return
    key = _key(backend)
    kept, last_used = _kept.pop(key, (None, 0.0))
    if kept is not None:
        if time.monotonic() - last_used <= MAX_IDLE_SECONDS and _alive(kept):
            backend = kept
        else:
            _discard(kept)
    if backend.connection is None:
        backend.open()  # connection errors reach the caller, as when Django opens it
    try:
        yield backend
    except BaseException:
        _discard(backend)
        raise
    _kept[key] = (backend, time.monotonic())


def close_all() -> None:
    """Say QUIT to every kept server (a worker process shutting down)."""
    while _kept:
        _, (backend, _) = _kept.popitem()
        _discard(backend)


@worker_process_shutdown.connect
def _close_on_shutdown(**kwargs) -> None:
    close_all()
