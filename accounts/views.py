from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from commbilling.http import AuthenticatedHttpRequest

from .forms import CompanySettingsForm
from .models import CompanySettings, User


class LoginView(auth_views.LoginView):
    """A language chosen on this browser before logging in (its cookie) is remembered as
    the user's own, for what is written to them away from the page: support replies,
    incident notices. The page itself follows the browser (its cookie, else its
    Accept-Language): a stored default never overrides what the browser asks for."""

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        chosen = self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if chosen and check_for_language(chosen) and chosen != user.language:
            User.objects.filter(pk=user.pk).update(language=chosen)
        return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, remembered as the signed-in user's own language."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and check_for_language(language):
        User.objects.filter(pk=request.user.pk).update(language=language)
    return response


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
