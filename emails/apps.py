from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmailsConfig(AppConfig):
    name = "emails"
    verbose_name = _("E-mails")

    def ready(self) -> None:
        from activity import automation
        from activity.models import Process

        from . import services, webhooks

        automation.register(
            automation.Automation(
                process=Process.EMAIL_DELIVERY,
                model_label="emails.EmailMessage",
                task_name="emails.send_email",
                list_url_name="emails:list",
                execute=lambda record: services.send_email(message=record),
            )
        )
        webhooks.connect()

        from incidents import circuits

        from .probes import probe_smtp

        circuits.register_probe("smtp", probe_smtp)
        circuits.register_dependency(Process.EMAIL_DELIVERY, "smtp")
