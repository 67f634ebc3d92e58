from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EinvoicingConfig(AppConfig):
    name = "einvoicing"
    verbose_name = _("E-invoicing")

    def ready(self) -> None:
        from activity import automation

        from . import services
        from .models import TRANSMISSION

        automation.register(
            automation.Automation(
                process=TRANSMISSION,
                model_label="einvoicing.EInvoice",
                task_name="einvoicing.transmit_einvoice",
                list_url_name="einvoicing:list",
                execute=lambda record: services.transmit_einvoice(einvoice=record),
            )
        )
