"""A version per organisation, bumped after every incident change is committed.

The alert bar's poll sends back the version it was rendered from; an unchanged version
answers 204 without touching the database. Kept in the cache (Redis in production): a
lost key only means one full answer, because a missing version is replaced by a new one.
"""

import logging
import uuid

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

PLATFORM = "platform"


def _key(scope: int | str) -> str:
    return f"incidents:version:{scope}"


def bump(organisation_id: int | None) -> None:
    """Give the organisation (or, for None, every organisation) a new version once the
    current transaction commits: a poll never sees the new version before the data."""
    key = _key(PLATFORM if organisation_id is None else organisation_id)

    def publish() -> None:
        try:
            cache.set(key, uuid.uuid4().hex[:12], None)
        except Exception:
            # The cache is down: polls answer the whole bar meanwhile (see current()).
            logger.warning("Could not bump the incidents version %s", key, exc_info=True)

    transaction.on_commit(publish)


def current(organisation_id: int) -> str:
    """The organisation's version; a new one each call while the cache is down, so that
    polls are answered in full rather than wrongly told that nothing changed."""
    try:
        return _current(organisation_id)
    except Exception:
        logger.warning("Incidents versions unavailable", exc_info=True)
        return uuid.uuid4().hex


def _current(organisation_id: int) -> str:
    keys = [_key(organisation_id), _key(PLATFORM)]
    found = cache.get_many(keys)
    missing = {key: uuid.uuid4().hex[:12] for key in keys if key not in found}
    if missing:
        for key, value in missing.items():
            # add(): two requests racing on a missing key agree on one value.
            if not cache.add(key, value, None):
                value = cache.get(key) or value
            found[key] = value
    return "-".join(str(found[key]) for key in keys)
