"""Rendering and remote I/O go to different queues, consumed by different workers."""

import pytest

from activity import automation as registry
from commbilling.celery import queue_for
from emails.models import EmailMessage
from invoices.models import Invoice
from refunds.models import Refund


@pytest.mark.parametrize(
    ("model", "suffix"),
    [(Invoice, ""), (EmailMessage, ".io"), (Refund, ".io")],
)
def test_each_process_goes_to_the_queue_of_its_kind_of_work(model, suffix, settings):
    settings.CELERY_TASK_DEFAULT_QUEUE = "billing"

    assert queue_for(registry.for_model(model).task_name) == "billing" + suffix


def test_a_task_of_no_listed_app_stays_on_the_main_queue(settings):
    settings.CELERY_TASK_DEFAULT_QUEUE = "billing"

    assert queue_for("support.mark_breached_tickets") == "billing"
    assert queue_for("emailsx.something") == "billing"


def test_procfile_and_compose_run_a_worker_for_each_queue():
    from tests.conftest import ROOT

    for name in ("Procfile.dev", "docker-compose.yml"):
        text = (ROOT / name).read_text()
        assert ".io" in text, name
        assert text.count("worker") >= 2, name
