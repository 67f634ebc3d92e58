from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from simple_history.admin import SimpleHistoryAdmin

from commbilling.forms import WriteOnlySecretsMixin

from .forms import CompanySettingsForm
from .models import CompanySettings, Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, BaseUserAdmin):
    list_display = ["username", "email", "organisation", "is_staff", "is_active", "last_login"]
    list_filter = ["organisation", "groups", "is_staff", "is_active"]
    list_select_related = ["organisation"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("CommBilling", {"fields": ["organisation", "language"]}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("CommBilling", {"fields": ["organisation", "groups"]}),
    )


class CompanySettingsAdminForm(WriteOnlySecretsMixin, forms.ModelForm):
    secret_fields = CompanySettingsForm.secret_fields
    secret_endings = CompanySettingsForm.secret_endings
    secret_destinations = CompanySettingsForm.secret_destinations

    class Meta:
        model = CompanySettings
        fields = "__all__"  # noqa: DJ007 -- the admin edits every setting


@admin.register(CompanySettings)
class CompanySettingsAdmin(SimpleHistoryAdmin):
    form = CompanySettingsAdminForm
    list_display = [
        "organisation",
        "legal_name",
        "siren",
        "vat_number",
        "invoice_prefix",
        "payment_provider",
    ]
    list_filter = ["payment_provider", "auto_send_invoices"]
    search_fields = ["legal_name", "siren", "vat_number", "organisation__name"]
    list_select_related = ["organisation"]


# Roles are groups: their changes are in the audit trail ("History" on each page).
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(SimpleHistoryAdmin, BaseGroupAdmin):
    pass
