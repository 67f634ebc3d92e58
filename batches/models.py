from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationQuerySet


class Batch(models.Model):
    """One job over many records (the month's invoices, a bulk retry, a bulk send),
    followed on its own page.

    The records are listed first (``BatchItem``, pending); a task then hands them to
    their automation in chunks, so a cancelled batch stops queueing at once and gives
    back the records not yet started.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    action = models.CharField(_("action"), max_length=32)
    # The process whose records the batch follows (e.g. e-mails for a bulk send).
    process = models.CharField(_("process"), max_length=32)
    title = models.CharField(_("title"), max_length=200)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # The form's one-time token: a double submit finds the batch it already started.
    token = models.CharField(_("form token"), max_length=64)
    total = models.PositiveIntegerField(_("records"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("batch run")
        verbose_name_plural = _("batch runs")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "token"], name="one_batch_per_token")
        ]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="batch_org_created")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("batches:detail", args=[self.pk])

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class BatchItem(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        QUEUED = "queued", _("Handed to the automation")
        SKIPPED = "skipped", _("Skipped (no longer eligible)")
        CANCELLED = "cancelled", _("Cancelled")

    batch = models.ForeignKey(
        Batch, on_delete=models.CASCADE, related_name="items", verbose_name=_("batch run")
    )
    # The record the action was asked for (an invoice to send…).
    source_id = models.BigIntegerField(_("requested record"))
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.PENDING
    )
    # The tracked record the automation runs (the invoice, or the e-mail created for it),
    # its status before the batch and the task it was queued for (to give it back).
    record_id = models.BigIntegerField(_("record"), null=True, blank=True)
    previous_status = models.CharField(_("previous status"), max_length=24, blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("batch item")
        verbose_name_plural = _("batch items")
        constraints = [
            models.UniqueConstraint(fields=["batch", "source_id"], name="one_item_per_record")
        ]
        indexes = [
            models.Index(fields=["batch", "state"], name="batchitem_state"),
            models.Index(fields=["batch", "record_id"], name="batchitem_record"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.source_id}: {self.state}"
