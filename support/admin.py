from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Ticket, TicketAttachment, TicketMessage


class TicketMessageInline(admin.TabularInline):
    model = TicketMessage
    extra = 0
    fields = ["created_at", "author", "is_internal", "body"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["author"]


class TicketAttachmentInline(admin.TabularInline):
    model = TicketAttachment
    extra = 0
    fields = ["name", "content_type", "size", "uploaded_by", "created_at"]
    readonly_fields = ["name", "content_type", "size", "uploaded_by", "created_at"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "subject",
        "organisation",
        "requester",
        "category",
        "priority",
        "status",
        "assignee",
        "due_at",
        "first_response_at",
        "breached_at",
        "created_at",
    ]
    list_filter = [
        "status",
        "category",
        "priority",
        "organisation",
        "assignee",
        ("breached_at", admin.EmptyFieldListFilter),
        "created_at",
    ]
    search_fields = [
        "subject",
        "description",
        "requester__username",
        "requester__email",
        "organisation__name",
        "context__record_label",
    ]
    date_hierarchy = "created_at"
    raw_id_fields = ["requester", "assignee", "activity"]
    readonly_fields = [
        "created_at",
        "updated_at",
        "due_at",
        "clock_started_at",
        "business_time_consumed",
        "first_response_at",
        "breached_at",
        "resolved_at",
        "content_type",
        "object_id",
    ]
    inlines = [TicketMessageInline, TicketAttachmentInline]
    list_select_related = ["organisation", "requester", "assignee"]


@admin.register(TicketMessage)
class TicketMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "ticket", "author", "is_internal", "created_at"]
    list_filter = ["is_internal", "created_at"]
    search_fields = ["body", "ticket__subject", "author__username"]
    raw_id_fields = ["ticket", "author"]
    list_select_related = ["ticket", "author"]


@admin.register(TicketAttachment)
class TicketAttachmentAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "ticket", "content_type", "size", "uploaded_by", "created_at"]
    list_filter = ["content_type", "created_at"]
    search_fields = ["name", "ticket__subject"]
    raw_id_fields = ["ticket", "message", "uploaded_by"]
    list_select_related = ["ticket", "uploaded_by"]

    @admin.display(description=_("download"))
    def download(self, obj: TicketAttachment) -> str:
        return obj.get_absolute_url()
