"""The registry of automated processes: which record, which task, which service.

Each app registers its process in ``AppConfig.ready``; the runner, the retry view, the
sweeper and the admin actions are written once against this registry.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import models


@dataclass(frozen=True)
class Automation:
    process: str
    model_label: str  # "invoices.Invoice"
    task_name: str  # the Celery task that runs it, e.g. "invoices.generate_invoice"
    execute: Callable[..., None]  # the service: execute(record=...) does the work or raises
    list_url_name: str  # the tab that lists the records, e.g. "invoices:list"

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)


_registry: dict[str, Automation] = {}


def register(automation: Automation) -> None:
    _registry[automation.process] = automation


def get(process: str) -> Automation:
    return _registry[process]


def for_model(model: type[models.Model]) -> Automation:
    label = model._meta.label
    for automation in _registry.values():
        if automation.model_label == label:
            return automation
    raise LookupError(f"No automation registered for {label}")


def all_automations() -> list[Automation]:
    return list(_registry.values())
