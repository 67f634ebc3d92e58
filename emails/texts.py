"""Activity Log messages of e-mails (activity.texts)."""

from django.utils.translation import gettext_lazy as _

from activity import texts

QUEUED_BY = texts.define(
    "emails.queued_by",
    _("E-mail queued by %(actor)s"),
    legacy=r"E-mail queued by (?P<actor>\S+)",
)
QUEUED = texts.define("emails.queued", _("E-mail queued"), legacy=r"E-mail queued")
ESP_REFUSED = texts.define(
    "emails.esp_refused",
    _("The e-mail provider refused it: %(reply)s"),
    legacy=r"esp refused — (?P<reply>.+)",
)
