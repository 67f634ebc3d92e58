"""Issue 14, item 7: no path of the ORM changes or deletes an Activity Log entry, on
SQLite as on PostgreSQL — not even a plain ``QuerySet``, which bypasses the model's
manager and its refusing queryset (activity/append_only.py)."""

import pytest
from django.db import DatabaseError, connection, models, transaction
from django.db.models import QuerySet

from activity import services
from activity.models import ActivityLog, AppendOnlyError, Event
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

# Who refuses: the ORM (AppendOnlyError, before any SQL: the model's signals and manager,
# activity/append_only.py) or the database's UPDATE trigger (DatabaseError). The ORM's
# refusals are the same on both databases, so CI on PostgreSQL proves them for SQLite too.
ORM, DATABASE = AppendOnlyError, DatabaseError


@pytest.fixture
def entry(organisation) -> ActivityLog:
    invoice = InvoiceFactory.create(organisation=organisation)
    return services.log_event(
        record=invoice, process=invoice.process.name, event=Event.QUEUED, message="original"
    )


def _copy(entry: ActivityLog, **changes) -> ActivityLog:
    fields = {f.attname: getattr(entry, f.attname) for f in ActivityLog._meta.concrete_fields}
    return ActivityLog(**{**fields, **changes})


def _changed(entry: ActivityLog) -> ActivityLog:
    entry.message = "rewritten"
    return entry


def _upsert(target, entry: ActivityLog):
    return target.bulk_create(
        [_copy(entry, message="rewritten")],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["message"],
    )


def _plain(*args) -> QuerySet:
    return QuerySet(ActivityLog)


CHANGES = {
    "plain queryset update": (
        DATABASE,
        lambda e: _plain().filter(pk=e.pk).update(message="rewritten"),
    ),
    "plain queryset bulk_update": (
        DATABASE,
        lambda e: _plain().bulk_update([_copy(e, message="rewritten")], ["message"]),
    ),
    "manager bulk_create update_conflicts": (ORM, lambda e: _upsert(ActivityLog.objects, e)),
    "plain queryset bulk_create update_conflicts": (DATABASE, lambda e: _upsert(_plain(), e)),
    # A new instance with an existing entry's id: the database's trigger refuses it.
    "save_base on a copy of an entry": (
        DATABASE,
        lambda e: _copy(e, message="rewritten").save_base(force_update=True),
    ),
    "Model.save past the override on a copy": (
        DATABASE,
        lambda e: models.Model.save(_copy(e, message="rewritten")),
    ),
    # The entry as saved (or read): pre_save refuses it before any SQL.
    "save_base on the entry": (ORM, lambda e: _changed(e).save_base()),
    "Model.save past the override on the entry": (ORM, lambda e: models.Model.save(_changed(e))),
}

# All refused by the ORM's pre_delete receiver: SQLite has no DELETE trigger.
DELETIONS = {
    "plain queryset delete": lambda e: _plain().filter(pk=e.pk).delete(),
    "plain queryset delete of everything": lambda e: _plain().delete(),
    "Model.delete past the override": lambda e: models.Model.delete(e),
}


@pytest.mark.parametrize(("refused_by", "change"), CHANGES.values(), ids=CHANGES.keys())
def test_no_orm_path_changes_an_entry(entry, refused_by, change):
    with pytest.raises(refused_by), transaction.atomic():
        change(entry)

    assert ActivityLog.objects.get(pk=entry.pk).message == "original"


@pytest.mark.parametrize("delete", DELETIONS.values(), ids=DELETIONS.keys())
def test_no_orm_path_deletes_an_entry(entry, delete):
    with pytest.raises(ORM), transaction.atomic():
        delete(entry)

    assert ActivityLog.objects.filter(pk=entry.pk).exists()


def test_appending_still_works_including_bulk_create(entry):
    ActivityLog.objects.bulk_create([_copy(entry, id=None, message="another")])

    assert ActivityLog.objects.filter(message="another").count() == 1


def test_the_database_refuses_an_update_in_raw_sql_too(entry):
    # PostgreSQL: the trigger of migration 0002; SQLite: the one of activity/append_only.py.
    sql = "UPDATE activity_activitylog SET message = 'x' WHERE id = %s"
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [entry.pk])

    assert ActivityLog.objects.get(pk=entry.pk).message == "original"
