"""The alert bar: one line with the open incidents by severity, a drawer listing them."""

from . import services, versions

# The organisation whose bar this session was last shown, set when a page (or a full
# poll answer) passed the billing permission check: lets an unchanged poll answer 204
# from the session alone, without loading the user, its permissions or its role.
SESSION_KEY = "incidents_bar_org"


def bar_context(organisation_id: int) -> dict[str, object]:
    # The version is read before the incidents: a change committed in between gets a
    # newer version, so the next poll fetches it.
    version = versions.current(organisation_id)
    return {"version": version, **services.bar_summary(organisation_id)}
