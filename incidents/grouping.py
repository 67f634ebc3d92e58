"""How a failure is grouped: the key of its incident and how severe it is."""

import hashlib
from dataclasses import dataclass

from activity.models import Cause

from .models import Severity

SEVERITY_BY_CAUSE: dict[str, Severity] = {
    Cause.CONNECTIVITY: Severity.CRITICAL,
    Cause.WRONG_SETTINGS: Severity.ERROR,
    Cause.INTERNAL: Severity.ERROR,
    Cause.MISSING_DATA: Severity.WARNING,
    Cause.REFUSED: Severity.WARNING,
}


@dataclass(frozen=True)
class Group:
    key: str
    service: str
    severity: str
    details: dict[str, object]


def _problems(details: dict, name: str) -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for problem in details.get(name, []) or []:
        ident = f"{problem.get('model', '')}.{problem.get('field', '')}"
        seen.setdefault(
            ident,
            {
                "model": str(problem.get("model", "")),
                "field": str(problem.get("field", "")),
                "label": str(problem.get("label", "")),
                "problem": str(problem.get("problem", "missing")),
            },
        )
    return [seen[ident] for ident in sorted(seen)]


def _key(*parts: str) -> str:
    key = ":".join(parts)
    if len(key) <= 255:
        return key
    return key[:200] + "#" + hashlib.sha256(key.encode()).hexdigest()[:16]


def group(*, cause: str, details: dict) -> Group:
    """Connectivity groups by service, missing data and settings by the fields to fix,
    refusals by the refusing service, internal errors by exception type."""
    service = str(details.get("service", "") or "")
    severity = SEVERITY_BY_CAUSE.get(cause, Severity.ERROR)
    if cause == Cause.CONNECTIVITY:
        return Group(
            _key(cause, service), service, severity, {"error": str(details.get("error", ""))[:300]}
        )
    if cause in (Cause.MISSING_DATA, Cause.WRONG_SETTINGS):
        fields = _problems(details, "fields") + _problems(details, "settings")
        idents = [f"{p['model']}.{p['field']}" for p in fields]
        return Group(_key(cause, service, ",".join(idents)), service, severity, {"fields": fields})
    if cause == Cause.REFUSED:
        remote = str(details.get("remote", ""))[:300]
        return Group(_key(cause, service), service, severity, {"remote": remote})
    error = str(details.get("error", "") or "")
    reason = str(details.get("reason", "") or "")
    if reason:
        # A named internal failure (activity.messages.register_internal_reason): grouped by
        # its name, worded with what its details say (their short values).
        said: dict[str, object] = {
            str(key): value[:300] if isinstance(value, str) else value
            for key, value in details.items()
            if isinstance(value, str | int) and not isinstance(value, bool)
        }
        return Group(_key(cause, reason), service, severity, said)
    return Group(_key(cause, error), service, severity, {"error": error})
