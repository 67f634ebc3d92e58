from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def health(request) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
