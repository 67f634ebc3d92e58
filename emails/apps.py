from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmailsConfig(AppConfig):
    name = "emails"
    verbose_name = _("E-mails")

    def ready(self) -> None:
        from . import webhooks

        webhooks.connect()
