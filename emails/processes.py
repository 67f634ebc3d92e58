from django.utils.translation import gettext_lazy as _

from activity.processes import declare

from . import services
from .models import EmailMessage

DELIVERY = declare(
    "email_delivery",
    label=_("E-mail delivery"),
    model=EmailMessage,
    execute=lambda message: services.send_email(message=message),
    list_url_name="emails:list",
    list_title=_("E-mail log"),
    support_category="emails",
    retry_label=_("Resend"),
)
