"""Failure texts say what failed, why and what to do, naming the record's own button."""

from django.utils import translation

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
