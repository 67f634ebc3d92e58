from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .bar import SESSION_KEY, bar_context


def alert_bar(request: HttpRequest) -> dict[str, object]:
    """The alert bar of every page, rendered in the first paint (base.html). Lazy: a
    fragment that does not show the bar costs no query."""

    def build() -> dict[str, object] | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.organisation_id is None:
            return None
        if not user.has_perm("accounts.use_billing"):
            return None
        if request.session.get(SESSION_KEY) != user.organisation_id:
            # What the poll's fast path relies on, carried by the session.
            request.session[SESSION_KEY] = user.organisation_id
        return bar_context(user.organisation_id)

    return {"alert_bar": SimpleLazyObject(build)}
