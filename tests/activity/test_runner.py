"""The runner's decisions, in-process: which cause an exception is, how long a retry
waits, and the limit on workers dying. (Success, failure at once, retries then failure,
Retry: tests/activity/test_throwaway_process.py.)"""

import smtplib
import socket

import pytest
from django.db import IntegrityError, InterfaceError, OperationalError
from django.utils import translation

from activity import runner
from activity.errors import (
    FieldProblem,
    MissingData,
    OutcomeUnknown,
    Refused,
    Unreachable,
    WrongSettings,
    classify,
)
from activity.messages import explain
from activity.models import Cause
from invoices.models import Invoice
from invoices.processes import GENERATION
from tests.factories import InvoiceFactory

PROBLEM = FieldProblem("customer", 1, "ACME", "street", "street")


@pytest.mark.parametrize(
    ("exc", "cause", "transient", "service"),
    [
        (MissingData([PROBLEM]), Cause.MISSING_DATA, False, None),
        (WrongSettings([PROBLEM]), Cause.WRONG_SETTINGS, False, None),
        (Unreachable("storage", "disk full"), Cause.CONNECTIVITY, True, "storage"),
        (OutcomeUnknown("provider", "timeout"), Cause.CONNECTIVITY, True, "provider"),
        (Refused("provider", "already refunded"), Cause.REFUSED, False, "provider"),
        (OperationalError("server closed the connection"), Cause.CONNECTIVITY, True, "database"),
        (InterfaceError("connection already closed"), Cause.CONNECTIVITY, True, "database"),
        (ConnectionRefusedError(111, "refused"), Cause.CONNECTIVITY, True, "network"),
        (TimeoutError("timed out"), Cause.CONNECTIVITY, True, "network"),
        (socket.gaierror(-2, "Name or service not known"), Cause.CONNECTIVITY, True, "network"),
        (IntegrityError("duplicate key"), Cause.INTERNAL, False, None),
        (KeyError("total"), Cause.INTERNAL, False, None),
        (smtplib.SMTPException("odd"), Cause.INTERNAL, False, None),
    ],
)
def test_classify(exc, cause, transient, service):
    error = classify(exc)

    assert (error.cause, error.transient) == (cause, transient)
    assert error.details.get("service") == service
    if cause == Cause.INTERNAL:
        assert error.details["error"] == type(exc).__name__


def test_an_internal_error_keeps_its_traceback_for_admins():
    try:
        {}["total"]
    except KeyError as exc:
        error = classify(exc)

    assert "KeyError" in error.details["traceback"]
    assert error.message == "Internal error: KeyError: 'total'"


@pytest.mark.parametrize(
    ("attempt", "low", "high"),
    [(1, 5.0, 10.0), (2, 10.0, 20.0), (3, 20.0, 40.0), (7, 300.0, 600.0), (30, 300.0, 600.0)],
)
def test_backoff_is_exponential_with_equal_jitter_and_bounded(settings, attempt, low, high):
    settings.AUTOMATION = {
        **settings.AUTOMATION,
        "BACKOFF_BASE_SECONDS": 10.0,
        "BACKOFF_MAX_SECONDS": 600.0,
    }

    delays = [runner.backoff_seconds(attempt) for _ in range(200)]

    assert low <= min(delays)
    assert max(delays) <= high
    assert max(delays) - min(delays) > (high - low) / 4  # really spread


@pytest.mark.django_db
@pytest.mark.parametrize(("attempts", "fails"), [(2, False), (3, True)])
def test_a_record_redelivered_after_its_worker_died_max_times_fails_instead_of_looping(
    attempts, fails
):
    """The runner counts attempts at claim time: one past MAX_ATTEMPTS (3 in tests) means
    every earlier attempt died with its worker."""
    invoice = InvoiceFactory(
        status=Invoice.Status.GENERATING, attempts=attempts, task_id="redelivered"
    )

    GENERATION.task.apply(args=[invoice.pk], task_id="redelivered")

    invoice.refresh_from_db()
    if fails:
        assert invoice.status == Invoice.Status.FAILED
        assert invoice.last_error_details == {
            "error": "WorkerLost",
            "reason": "worker_lost",
            "attempts": 3,
        }
        with translation.override("en"):
            text = explain(
                process="invoice_generation",
                cause=invoice.last_cause,
                details=invoice.last_error_details,
                record_label="X",
            )
        assert text.why == (
            "The worker stopped during each of the last 3 attempts (stopped, out of memory or "
            "crashed), so it is no longer retried by itself."
        )
        assert text.todo == (
            "Click Regenerate to run it again; if it stops again, open a support ticket."
        )
    else:
        assert invoice.status == Invoice.Status.GENERATED
