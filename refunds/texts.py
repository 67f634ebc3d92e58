"""Activity Log messages of refunds (activity.texts)."""

from django.utils.translation import gettext_lazy as _

from activity import texts

REQUESTED = texts.define(
    "refunds.requested",
    _("Refund of %(amount)s requested"),
    amount=texts.MONEY,
    legacy=r"Refund of (?P<amount>[\d.]+) € requested",
)
AWAITING_APPROVAL = texts.define(
    "refunds.awaiting_approval",
    _("Refund of %(amount)s requested; above %(threshold)s, waiting for approval"),
    amount=texts.MONEY,
    threshold=texts.MONEY,
    legacy=r"Refund of (?P<amount>[\d.]+) € requested; above (?P<threshold>[\d.]+) €, "
    r"waiting for approval",
)
APPROVED = texts.define(
    "refunds.approved",
    _("Approved by %(actor)s"),
    legacy=r"Approved by (?P<actor>\S+)",
)
CANCELLED = texts.define(
    "refunds.cancelled",
    _("Cancelled by %(actor)s: the amount is refundable again"),
    legacy=r"Cancelled by (?P<actor>\S+): the amount is refundable again",
)
TRANSFER_CONFIRMED = texts.define(
    "refunds.transfer_confirmed",
    _("Transfer confirmed by %(actor)s; credit note %(credit_note)s"),
    legacy=r"Transfer confirmed by (?P<actor>\S+); credit note (?P<credit_note>\S+)",
)
# The invoice was cancelled by credit note before the money went back: no second one.
TRANSFER_CONFIRMED_CREDITED_BEFORE = texts.define(
    "refunds.transfer_confirmed_credited_before",
    _("Transfer confirmed by %(actor)s; the invoice was already credited"),
)
NOT_ASKED = texts.define(
    "refunds.reconciliation_not_asked",
    _("Reconciliation: the provider could not be asked (%(error)s); still to check"),
    legacy=r"Reconciliation: the provider could not be asked \((?P<error>.*)\); still to check",
)
FOUND = texts.define(
    "refunds.reconciliation_found",
    _("Reconciliation: the provider has refund %(refund_id)s"),
    legacy=r"Reconciliation: the provider has refund (?P<refund_id>\S+)",
)
NOT_FOUND = texts.define(
    "refunds.reconciliation_not_found",
    _(
        "Reconciliation: the provider has no such refund; it was never executed and Retry "
        "sends it again safely"
    ),
    legacy=r"Reconciliation: the provider has no such refund; it was never executed and "
    r"Retry sends it again safely",
)
