from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RefundsConfig(AppConfig):
    name = "refunds"
    verbose_name = _("Refunds")

    def ready(self) -> None:
        from activity import automation
        from activity.models import Process

        from . import services

        automation.register(
            automation.Automation(
                process=Process.REFUND,
                model_label="refunds.Refund",
                task_name="refunds.execute_refund",
                list_url_name="refunds:list",
                execute=lambda record: services.execute_refund(refund=record),
            )
        )
