from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from commbilling import l10n
from commbilling.http import AuthenticatedHttpRequest

from . import services
from .models import ActivityLog, Alert, TrackedRecord

# ModelAdmin is generic for mypy only (ModelAdmin[Alert] fails at run time without
# django-stubs-ext, a dev dependency): the admin classes below leave out its model.


@admin.register(ActivityLog)
class ActivityLogAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # see above
    """Read-only: the Activity Log is append-only, for admins too."""

    list_display = [
        "created_at",
        "organisation",
        "process",
        "event",
        "level",
        "record_label",
        "cause",
        "shown_message",
        "attempt",
        "trigger",
        "actor",
        "duration_ms",
    ]
    list_filter = ["process", "event", "level", "cause", "trigger", "organisation"]
    search_fields = ["record_label", "message", "task_id"]
    list_select_related = ["organisation", "actor"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description=_("message"))
    def shown_message(self, entry: ActivityLog) -> str:
        """What happened, in the admin's language (the stored text is the English one)."""
        return entry.display_message


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # see above
    list_display = [
        "created_at",
        "organisation",
        "process",
        "record_label",
        "cause",
        "acknowledged_at",
        "resolved_at",
    ]
    list_filter = ["process", "cause", "organisation", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["record_label", "message"]
    list_select_related = ["organisation"]
    readonly_fields = [
        "organisation",
        "process",
        "cause",
        "content_type",
        "object_id",
        "record_label",
        "record_url",
        "message",
        "activity",
        "created_at",
        "acknowledged_at",
        "acknowledged_by",
        "resolved_at",
    ]
    actions = ["acknowledge"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Acknowledge the selected alerts"))
    def acknowledge(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Alert]) -> None:
        count = sum(services.acknowledge_alert(alert=a, user=request.user) for a in queryset)
        self.message_user(
            request,
            ngettext("%(n)s alert acknowledged.", "%(n)s alerts acknowledged.", count)
            % {"n": l10n.format_number(count)},
            messages.SUCCESS,
        )


class RetryFailedMixin(admin.ModelAdmin):  # type: ignore[type-arg]  # see above
    """Admin action shared by every tracked record: re-enqueue the selected failed ones."""

    @admin.action(description=_("Retry the selected failed records"))
    def retry_failed(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[TrackedRecord]
    ) -> None:
        model = queryset.model
        count = sum(
            services.retry_record(record=record, actor=request.user)
            for record in queryset.filter(status__in=model.RETRYABLE_STATUSES)
        )
        self.message_user(
            request,
            ngettext("%(n)s record queued again.", "%(n)s records queued again.", count)
            % {"n": l10n.format_number(count)},
            messages.SUCCESS,
        )
