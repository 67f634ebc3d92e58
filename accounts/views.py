from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from commbilling.http import AuthenticatedHttpRequest

from .forms import CompanySettingsForm
from .models import CompanySettings


@require_http_methods(["GET", "POST"])
@login_required
def company_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Accountants read their organisation's settings; administrators edit them."""
    user = request.user
    if user.organisation_id is None or not (
        user.has_perm("accounts.use_billing") or user.has_perm("accounts.edit_company_settings")
    ):
        raise PermissionDenied
    can_edit = user.has_perm("accounts.edit_company_settings")
    company, _created = CompanySettings.objects.get_or_create(organisation=user.organisation)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = CompanySettingsForm(request.POST, request.FILES, instance=company)
        if form.is_valid():
            form.save()
            messages.success(request, _("Settings saved."))
            return redirect("accounts:company_settings")
    else:
        form = CompanySettingsForm(instance=company)
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    return TemplateResponse(
        request, "accounts/company_settings.html", {"form": form, "can_edit": can_edit}
    )


@require_GET
@login_required
def no_role(request: AuthenticatedHttpRequest) -> TemplateResponse:
    """A user whose account has no role yet: say so instead of a bare 403."""
    return TemplateResponse(request, "accounts/no_role.html")
