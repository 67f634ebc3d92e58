"""Failure texts say what failed, why and what to do, naming the record's own button."""

import pytest
from django.utils import translation

from activity import reasons
from activity.errors import AutomationError, Refused, Unreachable, classify
from activity.messages import explain
from activity.models import Cause


def _todo(process: str, cause: str, details: dict) -> str:
    with translation.override("en"):
        return explain(process=process, cause=cause, details=details, record_label="X").todo


def test_the_advice_names_each_process_retry_button():
    details = {"fields": [{"record": "ACME", "label": "street", "problem": "missing"}]}
    assert "click Regenerate" in _todo("invoice_generation", Cause.MISSING_DATA, details)
    assert "click Resend" in _todo("email_delivery", Cause.MISSING_DATA, details)
    assert "click Retry" in _todo("refund", Cause.MISSING_DATA, details)


def test_a_missing_data_failure_lists_the_fields_and_their_record():
    details = {
        "fields": [
            {"record": "ACME", "label": "street", "problem": "missing"},
            {"record": "ACME", "label": "SIREN", "problem": "invalid"},
        ]
    }
    with translation.override("en"):
        text = explain(
            process="invoice_generation",
            cause=Cause.MISSING_DATA,
            details=details,
            record_label="F-2026-000001",
        )
    assert text.what == "Invoice generation failed for F-2026-000001."
    assert "ACME — street (missing)" in text.why
    assert "ACME — SIREN (invalid)" in text.why


def test_connectivity_names_the_service_and_says_it_is_retried():
    with translation.override("en"):
        text = explain(
            process="email_delivery",
            cause=Cause.CONNECTIVITY,
            details={"service": "smtp", "error": "Connection refused"},
            record_label="m",
        )
    assert "The mail server (SMTP) could not be reached: Connection refused." in text.why
    assert "retried automatically" in text.todo


def _why(error: AutomationError, language: str = "en") -> str:
    with translation.override(language):
        text = explain(
            process="email_delivery", cause=error.cause, details=error.details, record_label="m"
        )
    return " ".join(text.why.split())  # French puts a no-break space before ":"


@pytest.mark.parametrize(
    ("error", "english", "french"),
    [
        # Every service a failure can name has a name in words, not its code.
        (
            Refused("esp", "400 invalid recipient"),
            "The e-mail service provider refused it: “400 invalid recipient”.",
            "Le prestataire d'envoi d'e-mails a refusé la demande : « 400 invalid recipient ».",
        ),
        (
            classify(ConnectionResetError(104, "Connection reset by peer")),
            "The network could not be reached: the connection was closed before the answer.",
            "Le réseau est injoignable : la connexion a été fermée avant la réponse.",
        ),
        (
            Unreachable("worker", "time limit exceeded", reason=reasons.TIME_LIMIT),
            "The worker could not be reached: the attempt ran past its time limit and was stopped.",
            "Le worker est injoignable : la tentative a dépassé son temps limite et a été arrêtée.",
        ),
        # An internal error with nothing to name says so, without empty brackets.
        (
            AutomationError("Internal error"),
            "An internal error occurred.",
            "Une erreur interne s'est produite.",
        ),
        (
            classify(ValueError("boom")),
            "An internal error occurred (ValueError).",
            "Une erreur interne s'est produite (ValueError).",
        ),
    ],
)
def test_every_failure_is_said_in_words_in_both_languages(error, english, french):
    assert _why(error) == english
    assert _why(error, "fr") == french


@pytest.mark.parametrize(
    ("reason", "details", "english"),
    [
        (
            "platform_schema_invalid",
            {"remote": "BR-CO-10 sum mismatch"},
            "The e-invoicing platform found the file invalid against its schema: "
            "“BR-CO-10 sum mismatch”.",
        ),
        (
            "credit_note_without_pdf",
            {"number": "AV-2026-000003"},
            "The credit note AV-2026-000003 has no PDF to transmit.",
        ),
        (
            "en16931_rules_broken",
            {"listed": "BR-CO-15"},
            "The document breaks EN 16931 rules that no field can fix: BR-CO-15.",
        ),
        (
            "platform_unexpected_answer",
            {"status": 418, "remote": "teapot"},
            "The e-invoicing platform gave an unexpected answer (HTTP 418): “teapot”.",
        ),
    ],
)
def test_an_app_names_its_internal_failures(reason, details, english):
    """E-invoicing registers the words of its internal failures; the core knows none."""
    error = AutomationError("Internal error", details={"reason": reason, **details})
    assert _why(error) == english
    assert "erreur interne" not in _why(error, "fr").lower()
