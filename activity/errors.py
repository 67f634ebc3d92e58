"""The causes of automation failures, carried by the exceptions services raise.

Services raise one of these; they never write failure rows themselves. The runner
(``activity.runner``) turns the exception into history: an ActivityLog entry, an alert,
the record's Failed state, or an automatic retry when the cause is transient.

Everything a message needs is kept in ``details`` (JSON) so that the text is rendered
in the reader's language when it is shown (see ``activity.messages``).
"""

import socket
import traceback
from dataclasses import asdict, dataclass

from django.db import InterfaceError, OperationalError, models

from commbilling.fields import model_field

from . import reasons
from .choices import Cause


@dataclass(frozen=True)
class FieldProblem:
    """One field that blocks an automated step, with where to fix it."""

    model: str  # "customer", "companysettings", ...
    object_id: int | None
    record: str  # human label of the record holding the field
    field: str  # model field name
    label: str  # verbose name, in the language of the moment (re-translated on display)
    problem: str = "missing"  # "missing" or "invalid"
    fix_url: str = ""

    @classmethod
    def of(
        cls,
        record: models.Model,
        field: str,
        *,
        fix_url: str = "",
        problem: str = "missing",
        label: str = "",
    ) -> "FieldProblem":
        """The problem of ``record``'s ``field``, labelled with its verbose name unless
        ``label`` says otherwise."""
        return cls(
            model=record._meta.model_name or "",
            object_id=record.pk,
            record=str(record),
            field=field,
            label=label or str(model_field(record, field).verbose_name),
            problem=problem,
            fix_url=fix_url,
        )

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class AutomationError(Exception):
    cause: str = Cause.INTERNAL
    transient = False
    # The record's status after this final failure; empty means its STATUS_FAILED. Lets a
    # process tell apart failures its users must see differently (an e-mail "bounced").
    final_status: str = ""

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class MissingData(AutomationError):
    """Data the user must complete (customer details, line items, recipient address)."""

    cause = Cause.MISSING_DATA

    def __init__(
        self, problems: list[FieldProblem], settings: list[FieldProblem] | None = None
    ) -> None:
        self.problems = problems
        listed = ", ".join(f"{p.record}: {p.label} ({p.problem})" for p in problems)
        details: dict[str, object] = {"fields": [p.as_dict() for p in problems]}
        if settings:
            # Reported at once too, so the user fixes everything in one go.
            details["settings"] = [p.as_dict() for p in settings]
        super().__init__(f"Missing or invalid data — {listed}", details=details)


class WrongSettings(AutomationError):
    """A setting of the organisation or the platform is missing or wrong."""

    cause = Cause.WRONG_SETTINGS

    def __init__(
        self,
        problems: list[FieldProblem],
        *,
        remote: str = "",
        service: str = "",
        reason: str = "",
        host: str = "",
    ) -> None:
        """``remote`` is what a server answered; ``reason`` (activity.reasons) what happened
        when no server answered (a host not found), with the ``host`` asked for."""
        self.problems = problems
        listed = ", ".join(f"{p.label} ({p.problem})" for p in problems)
        details: dict[str, object] = {"settings": [p.as_dict() for p in problems]}
        if remote:
            details["remote"] = remote
        if service:
            details["service"] = service
        if reason:
            details["reason"] = reason
        if host:
            details["host"] = host
        super().__init__(
            f"Wrong settings — {listed}" + (f" — {remote}" if remote else ""), details=details
        )


class Unreachable(AutomationError):
    """A service we depend on did not answer: transient, retried with backoff."""

    cause = Cause.CONNECTIVITY
    transient = True

    def __init__(self, service: str, error: str, *, reason: str = "", host: str = "") -> None:
        """``error`` is the system's own text, kept for support; ``reason`` the code of what
        happened (activity.reasons), which the reader sees in their language."""
        self.service = service
        details: dict[str, object] = {"service": service, "error": error}
        if reason:
            details["reason"] = reason
        if host:
            details["host"] = host
        super().__init__(f"{service} unreachable — {error}", details=details)


class OutcomeUnknown(Unreachable):
    """Transient like Unreachable, but the request may have reached the remote party and
    been acted on (an answer lost to a timeout, a 5xx after sending).

    Retried like any connectivity failure; when retries run out the record goes to its
    ``STATUS_UNKNOWN`` (if its model declares one) instead of failed, because a blind
    resend could act twice: the owner of the record must first ask the remote party.
    """

    outcome_unknown = True


class Refused(AutomationError):
    """The remote party answered and refused for good (bounce, provider refusal)."""

    cause = Cause.REFUSED

    def __init__(
        self,
        service: str,
        remote: str,
        *,
        details: dict[str, object] | None = None,
        final_status: str = "",
    ) -> None:
        super().__init__(
            f"{service} refused — {remote}",
            details={"service": service, "remote": remote, **(details or {})},
        )
        self.final_status = final_status


def classify(exc: BaseException) -> AutomationError:
    """Map an exception a service did not classify to a cause."""
    if isinstance(exc, AutomationError):
        return exc
    if isinstance(exc, (OperationalError, InterfaceError)):
        return Unreachable("database", str(exc).strip()[:300], reason=reasons.reason_of(exc))
    if isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror)):
        return Unreachable("network", str(exc)[:300], reason=reasons.reason_of(exc))
    error = AutomationError(
        f"Internal error: {type(exc).__name__}: {exc}",
        details={
            "error": type(exc).__name__,
            "exception": str(exc)[:1000],
            "traceback": traceback.format_exc()[-5000:],
        },
    )
    return error
