"""Requests the database could not store or search are refused before any view runs."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _


class RejectNullCharactersMiddleware:
    """A NUL character in a query or form parameter is never meaningful here, and PostgreSQL
    refuses it in any text value ("cannot contain NUL (0x00) characters"): searching for it
    would be a 500. Answer a 400 that says what is wrong instead."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request.GET) or (
            request.method == "POST"
            and request.content_type != "multipart/form-data"
            and _has_nul(request.POST)
        ):
            return HttpResponseBadRequest(
                _(
                    "The request contains a NUL character, which no field accepts. "
                    "Remove it and try again."
                ),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def _has_nul(params) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in params.lists())
