from django.http import HttpRequest
from django.urls import reverse

from . import processes


def tracked_processes(request: HttpRequest) -> dict[str, object]:
    """The tab of each declared process, for the navigation."""
    return {
        "process_tabs": [
            {"url": reverse(p.list_url_name), "title": p.list_title}
            for p in processes.all_processes()
        ]
    }
