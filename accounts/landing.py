"""Where each role lands: after logging in, on the logo, and from a refused page."""

from django.urls import reverse

from .models import Role, User


def landing_url(user: User) -> str:
    """Accountants (and admins of an organisation) their dashboard, support staff their
    queue, other staff the admin; a user without a role the page that says so."""
    if user.has_perm("accounts.use_billing") and user.organisation_id:
        return reverse("dashboard")
    if user.is_staff and user.role == Role.ADMIN:
        return reverse("admin:index")
    if user.has_perm("accounts.work_support_queue"):
        return reverse("support:queue")
    return reverse("accounts:no_role")
