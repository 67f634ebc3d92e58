"""Typed request classes for views (django-stubs knows nothing of our attributes)."""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.models import Organisation, User


class AuthenticatedHttpRequest(HttpRequest):
    user: User  # type: ignore[assignment]
    htmx: HtmxDetails


class OrganisationHttpRequest(AuthenticatedHttpRequest):
    """A request that went through ``accountant_required``: scoped to one organisation."""

    organisation: Organisation
