from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation


class Counter(models.Model):
    """A change of the dashboard's counters, written in the transaction of the status
    change it counts (so it commits or rolls back with it).

    Rows are only inserted, never updated in place: workers changing records at the same
    time never wait on a counter row. ``counters.compact`` periodically merges the rows
    of each key into one, so what the dashboard sums stays small whatever the volume.

    - ``day`` empty: how many records of a process are in ``status`` now (+1 when a record
      enters it, -1 when it leaves).
    - ``day`` set: how many records entered ``status`` that day (local date), with the
      cause for failures and the amount the dashboard adds up (invoiced, refunded…).
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    process = models.CharField(_("process"), max_length=32)
    status = models.CharField(_("status"), max_length=24)
    day = models.DateField(_("day"), null=True, blank=True)
    cause = models.CharField(_("cause"), max_length=16, blank=True)
    n = models.BigIntegerField(_("count"), default=0)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, default=Decimal(0))

    class Meta:
        verbose_name = _("dashboard counter")
        verbose_name_plural = _("dashboard counters")
        indexes = [
            models.Index(
                fields=["organisation", "day", "process", "status"], name="counter_org_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.process}/{self.status}/{self.day or '-'}: {self.n}"
