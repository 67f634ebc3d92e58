"""Hooks for apps that follow the automation without the core knowing them.

All are sent inside the transaction of the change they announce, so a receiver's own
writes (a counter, an incident) commit or roll back with it.
"""

from django.dispatch import Signal

# A tracked record changed status (sender: its model). Keyword arguments: record_id,
# organisation_id, old_status, new_status, record: the caller's instance, holding the
# values the UPDATE wrote (its other fields are as the caller loaded them), and values:
# the columns the UPDATE read back (RETURNING) by attname, those it wrote and those asked
# for with ``read_back``. Sent by TrackedQuerySet, the only place that changes a tracked
# record's status.
status_changed = Signal()

_read_back: dict[tuple[type, str], tuple[str, ...]] = {}


def read_back(model: type, status: str, *fields: str) -> None:
    """Have each change of a ``model`` record to ``status`` read ``fields`` back with its
    UPDATE (RETURNING), for the receivers of ``status_changed`` (in its ``values``): what
    the row holds as it changes, without a SELECT."""
    known = _read_back.get((model, status), ())
    _read_back[(model, status)] = known + tuple(f for f in fields if f not in known)


def read_back_fields(model: type, status: str) -> tuple[str, ...]:
    return _read_back.get((model, status), ())


# Many tracked records entered a status at once (sender: their model), in one statement:
# ``requeue_many`` (after its ``status_changed`` for each record, sent with ``bulk=True``)
# and ``bulk_create`` (which sends no post_save). Keyword argument: changes, a list of
# (record_id, organisation_id, old_status, new_status), old_status None for a record
# created. Receivers that write for each change (the dashboard's counters) write once for
# all of them here, and skip the ``status_changed`` marked ``bulk``.
statuses_changed = Signal()

# A final failure was recorded (sender: the record's model). Keyword arguments: record,
# process (its name), cause, details, entry (the ActivityLog entry), alert.
automation_failed = Signal()

# The runner saw the service succeed (sender: the record's model). Keyword arguments:
# record, process (its name), entry (the ActivityLog entry), recovered (the record's
# previous attempt had failed).
automation_succeeded = Signal()

# A transient failure: the runner retries the record later (sender: the record's model).
# Keyword arguments: record, process (its name), cause, details, entry.
automation_retried = Signal()
