from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EinvoicingConfig(AppConfig):
    name = "einvoicing"
    verbose_name = _("E-invoicing")

    def ready(self) -> None:
        from activity.messages import register_internal_reason, register_service_label
        from activity.signals import status_changed
        from invoices import extensions
        from invoices.models import Invoice
        from refunds.models import CreditNote
        from refunds.signals import credit_note_issued

        from . import badges, facturx, filters, platform, rules, services

        # How failures name the services a transmission talks to.
        register_service_label("platform", _("the e-invoicing platform"))
        register_service_label("buyer", _("the buyer"))
        # … and the internal failures they can end with.
        register_internal_reason(
            services.SCHEMA_INVALID,
            _("the e-invoicing platform found the file invalid against its schema: “%(remote)s”"),
        )
        register_internal_reason(
            services.NO_PDF, _("the credit note %(number)s has no PDF to transmit")
        )
        register_internal_reason(
            rules.RULES_BROKEN,
            _("the document breaks EN 16931 rules that no field can fix: %(listed)s"),
        )
        register_internal_reason(
            platform.UNEXPECTED_ANSWER,
            _("the e-invoicing platform gave an unexpected answer (HTTP %(status)s): “%(remote)s”"),
        )
        # Invoices sits below e-invoicing and never names it: what e-invoicing adds to an
        # invoice is registered here. Every invoice and credit note is a Factur-X …
        extensions.register_pdf_finisher(
            extensions.PdfFinisher(pdf_variant=facturx.PDF_VARIANT, prepare=facturx.prepare)
        )
        # … a draft that will go through the platform is checked against EN 16931 …
        extensions.register_readiness_check(
            services.readiness_problems, reads=("organisation__platform_settings",)
        )
        # … the Factures tab filters by e-invoicing status …
        extensions.register_list_filter(filters.LIST_FILTER)
        # … each of its rows shows a compact e-invoicing badge …
        extensions.register_row_badges(badges.row_badges)
        # … and a generated invoice to a French business is queued for the platform in the
        # transaction that marks it generated.
        status_changed.connect(
            services.queue_transmission_of_generated_invoice,
            sender=Invoice,
            dispatch_uid="einvoicing.queue_transmission_of_generated_invoice",
        )
        # A credit note to a French business is an e-invoice too, queued as it is issued.
        credit_note_issued.connect(
            services.queue_transmission_of_issued_credit_note,
            sender=CreditNote,
            dispatch_uid="einvoicing.queue_transmission_of_issued_credit_note",
        )

        from incidents import circuits

        from .platform import SERVICE
        from .probes import probe_platform

        # What tells that the platform answers again (transmission depends on "platform").
        circuits.register_probe(SERVICE, probe_platform)
