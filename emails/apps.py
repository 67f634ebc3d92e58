from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmailsConfig(AppConfig):
    name = "emails"
    verbose_name = _("E-mails")

    def ready(self) -> None:
        from activity.signals import status_changed
        from invoices.models import Invoice

        from . import services, webhooks

        webhooks.connect()
        # The automatic e-mail of a generated invoice: queued in the transaction that marks
        # it generated (invoices sits below e-mails and does not call them).
        status_changed.connect(
            services.queue_email_of_generated_invoice,
            sender=Invoice,
            dispatch_uid="emails.queue_email_of_generated_invoice",
        )

        from activity.messages import register_service_label

        # How failures name an e-mail service provider's API (Anymail backends).
        register_service_label("esp", _("the e-mail service provider"))

        from incidents import circuits

        from .probes import probe_smtp

        # What tells that the SMTP server answers again (the process depends on "smtp").
        circuits.register_probe("smtp", probe_smtp)
