from django.contrib import admin
from django.contrib.admin.options import ActionLocation

from activity.admin import RetryFailedMixin

from .models import EmailAttempt, EmailMessage


class EmailAttemptInline(admin.TabularInline):
    model = EmailAttempt
    extra = 0
    can_delete = False
    readonly_fields = [
        "number",
        "started_at",
        "finished_at",
        "outcome",
        "server",
        "code",
        "reply",
    ]
    fields = tuple(readonly_fields)

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EmailMessage)
class EmailMessageAdmin(RetryFailedMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "organisation",
        "kind",
        "recipient",
        "subject",
        "status",
        "last_cause",
        "attempts",
        "smtp_code",
        "sent_at",
    ]
    list_filter = ["status", "kind", "last_cause", "organisation"]
    # Exact matches use the journal's indexes (a contains search scans the table).
    search_fields = ["=recipient", "=message_id", "=invoice__number", "=provider_message_id"]
    list_select_related = ["organisation"]
    readonly_fields = [
        "status",
        "message_id",
        "provider_message_id",
        "smtp_code",
        "smtp_reply",
        "sent_at",
        "delivered_at",
        "complained_at",
        "attempts",
        "queued_at",
        "started_at",
        "next_retry_at",
        "task_id",
        "last_cause",
        "last_error",
        "last_error_details",
        "failed_at",
        "idempotency_key",
        "created_at",
        "created_by",
    ]
    raw_id_fields = ["customer", "invoice"]
    inlines = [EmailAttemptInline]
    actions = ["retry_failed"]
    show_full_result_count = False

    # A sent e-mail is what the customer received: read-only, never deleted.
    def has_change_permission(self, request, obj=None) -> bool:
        sent = obj is not None and obj.sent_at is not None
        return not sent and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        sent = obj is not None and obj.sent_at is not None
        return not sent and super().has_delete_permission(request, obj)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions
