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

REFUSED = (AppendOnlyError, DatabaseError)  # by the ORM, or by the database's trigger


@pytest.fixture
def entry(organisation) -> ActivityLog:
    invoice = InvoiceFactory.create(organisation=organisation)
    return services.log_event(
        record=invoice, process=invoice.process.name, event=Event.QUEUED, message="original"
    )


def _copy(entry: ActivityLog, **changes) -> ActivityLog:
    fields = {f.attname: getattr(entry, f.attname) for f in ActivityLog._meta.concrete_fields}
    return ActivityLog(**{**fields, **changes})


def _plain(*args) -> QuerySet:
    return QuerySet(ActivityLog)


CHANGES = {
    "plain queryset update": lambda e: _plain().filter(pk=e.pk).update(message="rewritten"),
    "plain queryset bulk_update": lambda e: _plain().bulk_update(
        [_copy(e, message="rewritten")], ["message"]
    ),
    "manager bulk_create update_conflicts": lambda e: ActivityLog.objects.bulk_create(
        [_copy(e, message="rewritten")],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["message"],
    ),
    "plain queryset bulk_create update_conflicts": lambda e: _plain().bulk_create(
        [_copy(e, message="rewritten")],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["message"],
    ),
    "save_base on an existing entry": lambda e: _copy(e, message="rewritten").save_base(
        force_update=True
    ),
    "Model.save past the override": lambda e: models.Model.save(_copy(e, message="rewritten")),
}

DELETIONS = {
    "plain queryset delete": lambda e: _plain().filter(pk=e.pk).delete(),
    "plain queryset delete of everything": lambda e: _plain().delete(),
    "Model.delete past the override": lambda e: models.Model.delete(e),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_no_orm_path_changes_an_entry(entry, change):
    with pytest.raises(REFUSED), transaction.atomic():
        change(entry)

    assert ActivityLog.objects.get(pk=entry.pk).message == "original"


@pytest.mark.parametrize("delete", DELETIONS.values(), ids=DELETIONS.keys())
def test_no_orm_path_deletes_an_entry(entry, delete):
    with pytest.raises(REFUSED), transaction.atomic():
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
