from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents and system status")

    def ready(self) -> None:
        # The automation core does not know this app: it announces failures, retries and
        # successes by signals, and asks the registered holder whether to hold a record.
        from activity import holds
        from activity.signals import automation_failed, automation_retried, automation_succeeded

        from . import circuits, receivers

        holds.register(circuits)
        automation_failed.connect(receivers.failed, dispatch_uid="incidents.failed")
        automation_retried.connect(receivers.failed, dispatch_uid="incidents.retried")
        automation_succeeded.connect(receivers.succeeded, dispatch_uid="incidents.succeeded")
