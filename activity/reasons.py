"""Why a connection failed, in words that are true, in the reader's language.

A DNS failure is "host not found": no server answered, so it is never shown as a server's
reply. Errors carry a stable ``reason`` code in their details (with the raw system text kept
beside it, for support); the text is written when the message is shown.
"""

import errno
import socket
import ssl

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

HOST_NOT_FOUND = "host_not_found"
DNS_FAILURE = "dns_failure"
CONNECTION_REFUSED = "connection_refused"
TIMEOUT = "timeout"
NETWORK_UNREACHABLE = "network_unreachable"
DISCONNECTED = "disconnected"
TLS_FAILED = "tls_failed"
TIME_LIMIT = "time_limit"
# A server that answered "not now" (SMTP 4xx, an API's 429 or 5xx): it was reached.
TEMPORARY_REFUSAL = "temporary_refusal"
DISK_FULL = "disk_full"
PERMISSION_DENIED = "permission_denied"
FILE_MISSING = "file_missing"
READ_ONLY = "read_only"
# Not a connection's: a record whose worker died during each of its last attempts
# (activity.messages words it).
WORKER_LOST = "worker_lost"

TEXTS = {
    HOST_NOT_FOUND: gettext_lazy("host not found: no DNS record for this name"),
    DNS_FAILURE: gettext_lazy("name lookup (DNS) failed for the moment"),
    CONNECTION_REFUSED: gettext_lazy("connection refused: nothing listens on that port"),
    TIMEOUT: gettext_lazy("no answer within the time limit"),
    NETWORK_UNREACHABLE: gettext_lazy("network unreachable"),
    DISCONNECTED: gettext_lazy("the connection was closed before the answer"),
    TLS_FAILED: gettext_lazy("the secure connection (TLS) could not be set up"),
    TIME_LIMIT: gettext_lazy("the attempt ran past its time limit and was stopped"),
    DISK_FULL: gettext_lazy("the disk is full"),
    PERMISSION_DENIED: gettext_lazy("permission denied on the file or its folder"),
    FILE_MISSING: gettext_lazy("the file is missing"),
    READ_ONLY: gettext_lazy("the storage is read-only"),
}
TEXTS_WITH_HOST = {
    HOST_NOT_FOUND: gettext_lazy("host %(host)s not found: no DNS record for this name"),
    CONNECTION_REFUSED: gettext_lazy(
        "connection refused by %(host)s: nothing listens on that port"
    ),
    TIMEOUT: gettext_lazy("no answer from %(host)s within the time limit"),
}

_HOST_NOT_FOUND_CODES = {
    getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, name)
}


def reason_of(exc: BaseException) -> str:
    """The reason code of a connection error, or "" when it is none of the known ones."""
    if isinstance(exc, socket.gaierror):
        return HOST_NOT_FOUND if exc.errno in _HOST_NOT_FOUND_CODES else DNS_FAILURE
    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        return TLS_FAILED
    if isinstance(exc, TimeoutError) or getattr(exc, "errno", None) == errno.ETIMEDOUT:
        return TIMEOUT
    if isinstance(exc, ConnectionRefusedError):
        return CONNECTION_REFUSED
    code = getattr(exc, "errno", None)
    if code in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return NETWORK_UNREACHABLE
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return DISCONNECTED
    if type(exc).__name__ == "SMTPServerDisconnected":
        return DISCONNECTED
    if code in (errno.ENOSPC, errno.EDQUOT):
        return DISK_FULL
    if code in (errno.EACCES, errno.EPERM):
        return PERMISSION_DENIED
    if code == errno.ENOENT:
        return FILE_MISSING
    if code == errno.EROFS:
        return READ_ONLY
    return _database_reason(str(exc)) if "OperationalError" in type(exc).__name__ else ""


def reason_in(exc: BaseException, default: str = "") -> str:
    """The reason code of the first known error in ``exc``'s chain (its causes, contexts,
    arguments and ``reason`` attribute): the socket error under an HTTP library's wrappers,
    a host not found or a connection refused; else ``default``."""
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        error = pending.pop()
        if not isinstance(error, BaseException) or id(error) in seen:
            continue
        seen.add(id(error))
        if code := reason_of(error):
            return code
        pending += [getattr(error, "reason", None), error.__cause__, error.__context__]
        pending += list(error.args)
    return default


# What libpq says when the database cannot be reached, and what it means.
_DATABASE_TEXTS = (
    ("could not translate host name", HOST_NOT_FOUND),
    ("connection refused", CONNECTION_REFUSED),
    ("timeout expired", TIMEOUT),
    ("server closed the connection unexpectedly", DISCONNECTED),
    ("terminating connection", DISCONNECTED),
    ("the connection is closed", DISCONNECTED),
    ("no route to host", NETWORK_UNREACHABLE),
)


def _database_reason(text: str) -> str:
    lowered = text.lower()
    return next((code for marker, code in _DATABASE_TEXTS if marker in lowered), "")


def describe(reason: str, *, host: str = "", raw: str = "") -> str:
    """The reason in the active language; an unknown code shows the system's own text."""
    if reason in TEXTS_WITH_HOST and host:
        return TEXTS_WITH_HOST[reason] % {"host": host}
    if reason in TEXTS:
        return str(TEXTS[reason])
    return raw or _("unknown error")
