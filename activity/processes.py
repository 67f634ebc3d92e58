"""The registry of automated processes.

A process is declared once, in ``<app>/processes.py`` of the app it belongs to (the
activity app imports every such module when Django starts, like the admin does with
``admin.py``)::

    GENERATION = declare(
        "invoice_generation",
        label=_("Invoice generation"),
        model=Invoice,
        execute=lambda invoice: services.generate_invoice(invoice=invoice),
        list_url_name="invoices:list",
        list_title=_("Invoices"),
        support_category="billing",
        retry_label=_("Regenerate"),
    )

``declare`` builds the Celery task (named ``<app label>.<process name>``) that runs the
service through the runner, and registers the process. The runner, the sweeper, the
Retry view, the Activity Log, the alerts, support tickets and the navigation read this
registry; none of them names a process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from celery import Task, shared_task
from django.utils.functional import Promise

if TYPE_CHECKING:
    from .models import TrackedRecord


@dataclass(frozen=True, eq=False)
class Process:
    name: str  # stored in the Activity Log and alerts, e.g. "invoice_generation"
    label: str | Promise  # "Invoice generation", translated when shown
    model: type[TrackedRecord]
    # The service: does the work on a claimed record, moves it out of its running status
    # through its queryset (mark_succeeded …) or raises the cause (activity.errors). It may
    # return its own instance of the record as that last change left it: the runner then
    # logs the success with it instead of reading the record again.
    execute: Callable[[Any], Any]
    list_url_name: str  # the tab that lists the records, e.g. "invoices:list"
    list_title: str | Promise  # that tab's title in the navigation
    support_category: str  # the support ticket category of its failures
    retry_label: str | Promise  # the record's Retry button: "Regenerate", "Resend"…
    task: Task = field(repr=False)
    # The outside services its tasks need ("smtp"…): while one is known to be down
    # (activity.holds), its records wait for it instead of spending their retries.
    depends_on: tuple[str, ...] = ()

    @property
    def task_name(self) -> str:
        return str(self.task.name)

    def __str__(self) -> str:
        return str(self.label)


_registry: dict[str, Process] = {}


def declare(
    name: str,
    *,
    label: str | Promise,
    model: type[TrackedRecord],
    execute: Callable[[Any], Any],
    list_url_name: str,
    list_title: str | Promise,
    support_category: str,
    retry_label: str | Promise | None = None,
    depends_on: tuple[str, ...] = (),
) -> Process:
    """Declare an automated process: build its Celery task and register it."""
    from django.utils.translation import gettext_lazy

    from . import runner

    if name in _registry and _registry[name].model is not model:
        raise ValueError(f"Process {name!r} is already declared for {_registry[name].model}")

    def run_tracked(task: Task, record_id: int) -> None:
        runner.run(task, name, record_id)

    run_tracked.__name__ = run_tracked.__qualname__ = name
    task = shared_task(name=f"{model._meta.app_label}.{name}", **runner.TRACKED_TASK_OPTIONS)(
        run_tracked
    )
    process = Process(
        name=name,
        label=label,
        model=model,
        execute=execute,
        list_url_name=list_url_name,
        list_title=list_title,
        support_category=support_category,
        retry_label=retry_label if retry_label is not None else gettext_lazy("Retry"),
        task=task,
        depends_on=tuple(depends_on),
    )
    _registry[name] = process
    return process


def forget(name: str) -> None:
    """Remove a declared process (for throwaway processes declared by tests)."""
    _registry.pop(name, None)


def get(name: str) -> Process:
    return _registry[name]


def for_model(model: type[Any]) -> Process:
    for process in _registry.values():
        if process.model is model or process.model._meta.label == model._meta.label:
            return process
    raise LookupError(f"No process declared for {model._meta.label}")


def all_processes() -> list[Process]:
    return list(_registry.values())


def label_of(name: str) -> str:
    """The process's label in the current language; its name if it is not declared."""
    process = _registry.get(name)
    return str(process.label) if process is not None else name


def choices() -> list[tuple[str, str]]:
    return [(p.name, str(p.label)) for p in _registry.values()]
