"""View decorators: every page needs a login and the right role."""

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Concatenate, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from .models import User

if TYPE_CHECKING:
    from commbilling.http import AuthenticatedHttpRequest, OrganisationHttpRequest


def accountant_required[**P, R: HttpResponseBase](
    view: Callable[Concatenate["OrganisationHttpRequest", P], R],
) -> Callable[Concatenate[HttpRequest, P], R]:
    """Billing pages: the user has the billing permission and belongs to an organisation.

    Sets ``request.organisation``; every query of the view is scoped to it.
    """

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> R:
        user = request.user
        if (
            not isinstance(user, User)
            or not user.has_perm("accounts.use_billing")
            or user.organisation is None
        ):
            raise PermissionDenied
        # From here on the request is what the view's type says.
        scoped = cast("OrganisationHttpRequest", request)
        scoped.organisation = user.organisation
        return view(scoped, *args, **kwargs)

    return wrapper


def support_required[**P, R: HttpResponseBase](
    view: Callable[Concatenate["AuthenticatedHttpRequest", P], R],
) -> Callable[Concatenate[HttpRequest, P], R]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> R:
        if not request.user.has_perm("accounts.work_support_queue"):
            raise PermissionDenied
        # login_required let only an authenticated user through.
        return view(cast("AuthenticatedHttpRequest", request), *args, **kwargs)

    return wrapper
