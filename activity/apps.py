from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class ActivityConfig(AppConfig):
    name = "activity"
    verbose_name = _("Activity and alerts")

    def ready(self) -> None:
        from . import (
            append_only,
            checks,  # noqa: F401 -- registers the system checks
        )

        # The Activity Log's guards below the ORM's queryset methods (and SQLite's trigger).
        append_only.connect(self)

        # Each app declares its processes in <app>/processes.py (activity.processes).
        autodiscover_modules("processes")
