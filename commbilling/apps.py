from django.apps import AppConfig


class CommBillingConfig(AppConfig):
    """Project-wide pieces: the formatting filters (templatetags) and the admin's decimal fields.

    Listed before django.contrib.admin in INSTALLED_APPS so that its ready() runs before the
    admin builds its ModelAdmins, which copy these defaults when they are created.
    """

    name = "commbilling"
    verbose_name = "CommBilling"

    def ready(self) -> None:
        from django.contrib.admin import options
        from django.db import models

        from commbilling import secrets  # noqa: F401 -- registers the keys' checks
        from commbilling.forms import DecimalField

        # Every DecimalField in the admin reads "1 200,50" as well as "1200.50".
        options.FORMFIELD_FOR_DBFIELD_DEFAULTS.setdefault(models.DecimalField, {})
        options.FORMFIELD_FOR_DBFIELD_DEFAULTS[models.DecimalField]["form_class"] = DecimalField
