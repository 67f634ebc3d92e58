"""Hooks for apps that follow the automation without the core knowing them.

All are sent inside the transaction of the change they announce, so a receiver's own
writes (a counter, an incident) commit or roll back with it.
"""

from django.dispatch import Signal

# A tracked record changed status (sender: its model). Keyword arguments: record_id,
# organisation_id, old_status, new_status. Sent by TrackedQuerySet, the only place that
# changes a tracked record's status.
status_changed = Signal()

# A final failure was recorded (sender: the record's model). Keyword arguments: record,
# process (its name), cause, entry (the ActivityLog entry), alert.
automation_failed = Signal()

# The runner saw the service succeed (sender: the record's model). Keyword arguments:
# record, process (its name), entry (the ActivityLog entry).
automation_succeeded = Signal()
