"""The SMTP server's health probe: the circuit breaker closes when it answers again."""

from accounts.models import Organisation

from .mailer import mailer_for


def probe_smtp(organisation: Organisation) -> None:
    """Connect to the server this organisation sends through and say NOOP; raise if it
    does not answer. An e-mail service provider (no SMTP host) has no probe here."""
    backend = mailer_for(organisation)
    if not getattr(backend, "host", None):
        return
    backend.open()
    try:
        backend.connection.noop()  # type: ignore[attr-defined]  # SMTP: it has a host
    finally:
        backend.close()
