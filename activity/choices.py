"""The vocabulary of the Activity Log, shared by every process."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Cause(models.TextChoices):
    MISSING_DATA = "missing_data", _("Missing data")
    WRONG_SETTINGS = "wrong_settings", _("Wrong settings")
    CONNECTIVITY = "connectivity", _("Connectivity")
    REFUSED = "refused", _("Refused by the remote party")
    INTERNAL = "internal", _("Internal error")


class Event(models.TextChoices):
    QUEUED = "queued", _("Queued")
    STARTED = "started", _("Started")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    RETRIED = "retried", _("Retried")
    FIXED = "fixed", _("Fixed")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")


class Level(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    ERROR = "error", _("Error")


class Trigger(models.TextChoices):
    USER = "user", _("User")
    SCHEDULE = "schedule", _("Schedule")
    RETRY = "retry", _("Automatic retry")
    BATCH = "batch", _("Batch")
    SYSTEM = "system", _("System")
