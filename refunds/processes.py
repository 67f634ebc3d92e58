from django.utils.translation import gettext_lazy as _

from activity.processes import declare

from . import services
from .models import Refund

REFUND = declare(
    "refund",
    label=_("Refund"),
    model=Refund,
    execute=lambda refund: services.execute_refund(refund=refund),
    list_url_name="refunds:list",
    list_title=_("Refunds"),
    support_category="refunds",
    retry_label=_("Retry"),
)
