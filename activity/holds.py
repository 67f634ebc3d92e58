"""Holding a record while a service its process needs is down.

An app that watches services (``incidents``: circuit breakers and health probes)
registers itself here when Django starts; the runner then asks it, before an attempt,
whether a service the process depends on is known to be down, and, after a failure,
whether the record should wait for the service to answer instead of spending its
retries. With no holder registered the runner simply retries with backoff.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .errors import AutomationError
    from .models import TrackedRecord


class Holder(Protocol):
    def down_service_for(self, *, organisation_id: int, process: str) -> tuple[str, str] | None:
        """(service, its last error) when a service the process needs is known to be down."""

    def is_outage(self, error: AutomationError) -> bool:
        """Whether the failure says the service did not answer at all."""

    def hold(
        self,
        *,
        record: TrackedRecord,
        process: str,
        service: str,
        error: str,
        details: dict[str, Any],
        task_id: str,
        tried: bool = True,
    ) -> bool:
        """Put the running record back in the queue until ``service`` answers; False when
        nothing would tell that it answers again (the runner retries as usual)."""


_holder: Holder | None = None


def register(holder: Holder) -> None:
    global _holder
    _holder = holder


def current() -> Holder | None:
    return _holder
