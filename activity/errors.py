"""The causes of automation failures, carried by the exceptions services raise.

Services raise one of these; they never write failure rows themselves. The runner
(``activity.runner``) turns the exception into history: an ActivityLog entry, an alert,
the record's Failed state, or an automatic retry when the cause is transient.

Everything a message needs is kept in ``details`` (JSON) so that the text is rendered
in the reader's language when it is shown (see ``activity.messages``).
"""

from dataclasses import asdict, dataclass

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
        self, problems: list[FieldProblem], *, remote: str = "", service: str = ""
    ) -> None:
        self.problems = problems
        listed = ", ".join(f"{p.label} ({p.problem})" for p in problems)
        details: dict[str, object] = {"settings": [p.as_dict() for p in problems]}
        if remote:
            details["remote"] = remote
        if service:
            details["service"] = service
        super().__init__(
            f"Wrong settings — {listed}" + (f" — {remote}" if remote else ""), details=details
        )


class Unreachable(AutomationError):
    """A service we depend on did not answer: transient, retried with backoff."""

    cause = Cause.CONNECTIVITY
    transient = True

    def __init__(self, service: str, error: str) -> None:
        self.service = service
        super().__init__(
            f"{service} unreachable — {error}", details={"service": service, "error": error}
        )


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
