"""View decorators: every page needs a login and the right role."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def accountant_required(view: View) -> View:
    """Billing pages: the user has the billing permission and belongs to an organisation.

    Sets ``request.organisation``; every query of the view is scoped to it.
    """

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.has_perm("accounts.use_billing") or user.organisation_id is None:
            raise PermissionDenied
        request.organisation = user.organisation  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def support_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm("accounts.work_support_queue"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
