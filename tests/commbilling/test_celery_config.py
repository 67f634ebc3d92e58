"""The Celery settings the automation guarantees rest on."""

import functools
import importlib
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from activity import processes
from commbilling.celery import app
from tests.conftest import ROOT

PROJECT_TASK_PREFIXES = tuple(f"{name}." for name in settings.INSTALLED_APPS if "." not in name)


def _project_tasks():
    for name in settings.INSTALLED_APPS:
        if "." not in name and (ROOT / name / "tasks.py").exists():
            importlib.import_module(f"{name}.tasks")
    return {
        name: task for name, task in app.tasks.items() if name.startswith(PROJECT_TASK_PREFIXES)
    }


def _limits(task) -> tuple[float, float]:
    """The (hard, soft) time limits a worker applies to the task: its own, else the
    worker's defaults (CELERY_TASK_TIME_LIMIT, CELERY_TASK_SOFT_TIME_LIMIT)."""
    return (
        task.time_limit or app.conf.task_time_limit,
        task.soft_time_limit or app.conf.task_soft_time_limit,
    )


def test_a_message_is_acknowledged_only_after_its_task_ran():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_tracked_tasks_declare_late_acknowledgement_themselves():
    tracked = _project_tasks()["invoices.invoice_generation"]
    assert tracked.acks_late is True
    assert tracked.reject_on_worker_lost is True


def test_messages_are_json_only():
    assert app.conf.task_serializer == "json"
    assert app.conf.result_serializer == "json"
    assert app.conf.accept_content == ["json"]


def test_long_running_tasks_are_cancelled_when_the_broker_connection_is_lost():
    assert app.conf.worker_cancel_long_running_tasks_on_connection_loss is True


def test_every_task_of_the_project_has_a_time_limit():
    tasks = _project_tasks()
    assert "invoices.invoice_generation" in tasks
    assert "activity.sweep_stuck_records" in tasks
    for name, task in tasks.items():
        hard, soft = _limits(task)
        assert hard, f"{name} has no time limit"
        assert soft, f"{name} has no soft time limit"
        assert soft < hard, name


def test_tracked_tasks_take_their_time_limits_from_the_settings():
    for process in processes.all_processes():
        assert _limits(process.task) == (
            settings.CELERY_TASK_TIME_LIMIT,
            settings.CELERY_TASK_SOFT_TIME_LIMIT,
        )


def test_a_running_record_is_not_swept_while_its_task_may_still_run():
    longest = max(_limits(task)[0] for task in _project_tasks().values())
    assert settings.AUTOMATION["STUCK_AFTER_SECONDS"] > longest


@functools.cache
def _production_redis_settings() -> dict:
    """The settings a Redis deployment gets, read in a fresh interpreter."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'options': s.CELERY_BROKER_TRANSPORT_OPTIONS, "
        "'time_limit': s.CELERY_TASK_TIME_LIMIT, 'automation': s.AUTOMATION}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "commbilling.settings",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    }
    for name in list(env):
        if name.startswith("AUTOMATION_") or name == "CELERY_TASK_TIME_LIMIT":
            del env[name]
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def test_redis_redelivers_an_unacknowledged_message_only_after_any_task_or_retry_wait():
    config = _production_redis_settings()
    visibility = config["options"]["visibility_timeout"]
    longest_task = max(
        [config["time_limit"], *(task.time_limit or 0 for task in _project_tasks().values())]
    )

    # Shorter, and a slow task (or a retry waiting for its countdown in the worker)
    # would be handed to a second worker while the first still holds it.
    assert visibility > longest_task
    assert visibility > config["automation"]["BACKOFF_MAX_SECONDS"]
    assert visibility > config["automation"]["STUCK_AFTER_SECONDS"]


def test_a_redis_broker_that_does_not_answer_cannot_hang_a_request():
    options = _production_redis_settings()["options"]

    assert 0 < options["socket_connect_timeout"] <= 5
    assert 0 < options["socket_timeout"] <= 5


def test_the_sweeper_is_scheduled_well_within_the_stuck_delay():
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-stuck-records"]

    assert entry["task"] == "activity.sweep_stuck_records"
    assert entry["task"] in _project_tasks()
    assert entry["schedule"] <= settings.AUTOMATION["STUCK_AFTER_SECONDS"] / 2


def test_the_time_limit_settings_reach_the_tracked_tasks():
    code = (
        "import django; django.setup(); from commbilling.celery import app; app.finalize(); "
        "from activity import processes; "
        "print([(p.task.time_limit, p.task.soft_time_limit) for p in processes.all_processes()])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "commbilling.settings",
        "CELERY_TASK_TIME_LIMIT": "77",
        "CELERY_TASK_SOFT_TIME_LIMIT": "66",
    }
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True, text=True
    ).stdout

    # Every declared process (invoices, e-mails, refunds, e-invoicing).
    assert output.strip().splitlines()[-1] == str([(77, 66)] * 4)


@pytest.mark.parametrize("signal", ["worker_init", "worker_process_init"])
def test_a_started_worker_sets_what_it_holds_aside_from_the_garbage_collector(signal):
    # In a fresh interpreter: freezing this test process would change every other test.
    code = (
        "import gc, django; django.setup(); import commbilling.celery; "
        f"from celery.signals import {signal}; before = gc.get_freeze_count(); "
        f"{signal}.send(sender=None); print(before, gc.get_freeze_count())"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "commbilling.settings"}
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True, text=True
    ).stdout
    before, after = map(int, output.split()[-2:])

    # Django, the apps and their libraries: far more than the few hundred objects the
    # interpreter itself sets aside at start.
    assert before < 1_000
    assert after > 50_000
