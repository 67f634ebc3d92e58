"""Typed request classes for views (django-stubs knows nothing of our attributes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:  # types only: commbilling's foundations import no app
    from accounts.models import Organisation, User


class AuthenticatedHttpRequest(HttpRequest):
    # HttpRequest.user is a User | AnonymousUser: a login-required view narrows it.
    user: User
    htmx: HtmxDetails


class OrganisationHttpRequest(AuthenticatedHttpRequest):
    """A request that went through ``accountant_required``: scoped to one organisation."""

    organisation: Organisation


# A form that did not validate is answered with this status and re-rendered with its
# messages; htmx swaps it in place (``responseHandling`` in templates/base.html).
INVALID_FORM_STATUS = 422
