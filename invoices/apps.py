from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicesConfig(AppConfig):
    name = "invoices"
    verbose_name = _("Invoices")

    def ready(self) -> None:
        from activity import automation
        from activity.models import Process

        from . import services

        automation.register(
            automation.Automation(
                process=Process.INVOICE_GENERATION,
                model_label="invoices.Invoice",
                task_name="invoices.generate_invoice",
                list_url_name="invoices:list",
                execute=lambda record: services.generate_invoice(invoice=record),
            )
        )
