"""Activity Log messages of e-invoicing (activity.texts)."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from activity import texts

from .models import Lifecycle

QUEUED = texts.define("einvoicing.queued", _("Transmission of %(number)s to the platform queued"))
PARTIES_RETAKEN = texts.define(
    "einvoicing.parties_retaken",
    _(
        "Rejected by the platform, so deemed never issued: seller and buyer taken again from "
        "the company settings and the customer before it is sent again"
    ),
)
COLLECTED_SENT = texts.define(
    "einvoicing.collected_sent",
    _("Status 212 Collected sent to the platform (%(amount)s paid)"),
    amount=texts.MONEY,
)
CHECK_NOT_ASKED = texts.define(
    "einvoicing.check_not_asked",
    _("Check: the platform could not be asked (%(error)s); still to check"),
)
CHECK_FOUND = texts.define(
    "einvoicing.check_found", _("Check: the platform holds flow %(flow_id)s")
)
CHECK_ABSENT = texts.define(
    "einvoicing.check_absent",
    _("Check: the platform holds no accepted flow for this invoice; Retransmit sends it safely"),
)
# A life-cycle status the platform reported (webhook or polling), by its code: the
# status's label is rendered in the reader's language, the platform's message as it came.
STATUS_REPORTED = {
    code: texts.define(
        f"einvoicing.status_{code}",
        format_lazy(_("Platform status {code} {label}"), code=code, label=label),
    )
    for code, label in Lifecycle.choices
}
STATUS_REPORTED_WITH_MESSAGE = {
    code: texts.define(
        f"einvoicing.status_{code}_message",
        format_lazy(
            _("Platform status {code} {label} — {message}"),
            code=code,
            label=label,
            message="%(message)s",
        ),
    )
    for code, label in Lifecycle.choices
}
