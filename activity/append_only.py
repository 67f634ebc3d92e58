"""What keeps the Activity Log append-only below the ORM's queryset methods.

- Any deletion through the ORM (a plain ``QuerySet(ActivityLog).delete()``, a cascade)
  sends ``pre_delete`` for each entry, which refuses it: with a receiver, Django cannot
  take its fast path of one ``DELETE`` that sends no signal.
- ``save_base`` called directly on an existing entry is refused by ``pre_save``.
- The database refuses UPDATE, whatever query the ORM builds (a plain
  ``QuerySet(ActivityLog).update()``, ``bulk_update``, the upsert of
  ``bulk_create(update_conflicts=True)``): on PostgreSQL the trigger of migration 0002
  (UPDATE and DELETE, raw SQL included); on SQLite the trigger below, created after
  every ``migrate`` rather than by a migration, because SQLite's schema editor rebuilds a
  table it alters (copy, drop, rename), which drops its triggers. SQLite has no DELETE
  trigger: it would refuse the ``DELETE FROM`` by which Django empties a test database
  (PostgreSQL uses TRUNCATE, which the application's role is not granted).
"""

from typing import Any

from django.db import connections
from django.db.models.signals import post_migrate, pre_delete, pre_save

SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS activity_log_append_only_update
BEFORE UPDATE ON activity_activitylog
BEGIN
    SELECT RAISE(ABORT, 'activity_activitylog is append-only: UPDATE refused');
END
"""


def refuse_delete(sender: type, **kwargs: Any) -> None:
    from .models import AppendOnlyError

    raise AppendOnlyError("The Activity Log is append-only.")


def refuse_update(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    from .models import AppendOnlyError

    if not instance._state.adding or kwargs.get("update_fields") is not None:
        raise AppendOnlyError("The Activity Log is append-only.")


def create_sqlite_trigger(using: str = "default", **kwargs: Any) -> None:
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if "activity_activitylog" in tables:
            cursor.execute(SQLITE_TRIGGER)


def connect(sender_app: Any) -> None:
    from .models import ActivityLog

    pre_delete.connect(refuse_delete, sender=ActivityLog, dispatch_uid="activity_log_delete")
    pre_save.connect(refuse_update, sender=ActivityLog, dispatch_uid="activity_log_update")
    post_migrate.connect(create_sqlite_trigger, dispatch_uid="activity_log_sqlite_trigger")
