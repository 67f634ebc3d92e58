"""The three roles, as Django groups with explicit permissions.

Migration 0002 creates the groups; ``sync_roles`` runs again after every ``migrate`` so
that permissions of models added later reach their roles. Permissions that do not exist
yet (an app not migrated) are skipped.
"""

from django.db.models import Q

from .models import ROLE_GROUPS, Role

BILLING_APPS = [
    "accounts", "invoices", "emails", "refunds", "payments", "activity", "support",
]  # fmt: skip

ROLE_PERMISSIONS: dict[str, list[str]] = {
    ROLE_GROUPS[Role.ACCOUNTANT]: [
        "accounts.use_billing",
        "accounts.view_companysettings",
        "invoices.view_customer",
        "invoices.add_customer",
        "invoices.change_customer",
        "invoices.view_invoice",
        "invoices.add_invoice",
        "invoices.change_invoice",
        "invoices.view_invoiceline",
        "invoices.add_invoiceline",
        "invoices.change_invoiceline",
        "invoices.delete_invoiceline",
        "emails.view_emailmessage",
        "emails.add_emailmessage",
        "refunds.view_refund",
        "refunds.add_refund",
        "refunds.view_creditnote",
        "refunds.add_creditnote",
        "payments.view_payment",
        "payments.add_payment",
        "payments.change_payment",
        "payments.view_bankstatement",
        "payments.add_bankstatement",
        "activity.view_activitylog",
        "activity.view_alert",
        "activity.change_alert",
        "support.view_ticket",
        "support.add_ticket",
        "support.view_ticketmessage",
        "support.add_ticketmessage",
    ],
    ROLE_GROUPS[Role.SUPPORT]: [
        "accounts.work_support_queue",
        "invoices.view_customer",
        "invoices.view_invoice",
        "invoices.view_invoiceline",
        "emails.view_emailmessage",
        "refunds.view_refund",
        "refunds.view_creditnote",
        "activity.view_activitylog",
        "activity.view_alert",
        "support.view_ticket",
        "support.change_ticket",
        "support.view_ticketmessage",
        "support.add_ticketmessage",
    ],
    # Administrators get every permission of the project's apps and of user management.
    ROLE_GROUPS[Role.ADMIN]: [],
}


def sync_roles(apps) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        if group_name == ROLE_GROUPS[Role.ADMIN]:
            permissions = Permission.objects.filter(
                Q(content_type__app_label__in=BILLING_APPS) | Q(content_type__app_label="auth")
            )
        else:
            query = Q(pk__in=[])
            for code in codes:
                app_label, codename = code.split(".")
                query |= Q(content_type__app_label=app_label, codename=codename)
            permissions = Permission.objects.filter(query)
        group.permissions.set(permissions)
