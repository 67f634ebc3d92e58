"""Activity Log messages of invoices (activity.texts)."""

from django.utils.translation import gettext_lazy as _

from activity import texts

GENERATION_REQUESTED = texts.define(
    "invoices.generation_requested",
    _("Generation requested by %(actor)s"),
    legacy=r"Generation requested by (?P<actor>\S+)",
)
CUSTOMER_COMPLETED = texts.define(
    "invoices.customer_completed",
    _("Customer %(customer)s completed by %(actor)s: %(fields)s"),
    fields=texts.fields("invoices.Customer"),
    legacy=r"Customer (?P<customer>.+) completed by (?P<actor>\S+): (?P<fields>.+)",
)
