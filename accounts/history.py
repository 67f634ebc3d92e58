"""The admin's audit trail (django-simple-history), named in the reader's language.

simple-history names its models "historical <name>" in English whatever the language,
and the tables of many-to-many changes after their class ("HistoricalUser_groups");
the admin shows these names (content types, permissions). Here they go through the
catalogue like every other model name.
"""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class AuditTrail(HistoricalRecords):
    def get_meta_options(self, model):
        meta = super().get_meta_options(model)
        if not self.user_set_verbose_name:
            meta["verbose_name"] = format_lazy(_("{} (history)"), model._meta.verbose_name)
        if not self.user_set_verbose_name_plural:
            meta["verbose_name_plural"] = format_lazy(
                _("{} (history)"), model._meta.verbose_name_plural
            )
        return meta

    def get_meta_options_m2m(self, through_model):
        meta = super().get_meta_options_m2m(through_model)
        source = through_model._meta.auto_created or through_model
        field = next(
            (f for f in source._meta.many_to_many if f.remote_field.through is through_model),
            None,
        )
        meta["verbose_name"] = format_lazy(
            _("{model} (history): {field}"),
            model=source._meta.verbose_name,
            field=field.verbose_name if field is not None else through_model._meta.verbose_name,
        )
        meta["verbose_name_plural"] = meta["verbose_name"]
        return meta
