"""The Activity Log is append-only: in the ORM, in the database, in the admin."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from activity import services
from activity.models import ActivityLog, AppendOnlyError, Event
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.postgresql(reason="the trigger exists on PostgreSQL only")


@pytest.fixture
def entry(organisation):
    invoice = InvoiceFactory(organisation=organisation)
    return services.log_event(
        record=invoice, process=invoice.process.name, event=Event.QUEUED, message="original"
    )


def _unchanged(entry: ActivityLog) -> bool:
    return ActivityLog.objects.get(pk=entry.pk).message == "original"


def test_saving_an_existing_entry_is_refused(entry):
    entry.message = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    assert _unchanged(entry)


def test_deleting_an_entry_is_refused(entry):
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert ActivityLog.objects.filter(pk=entry.pk).exists()


def test_queryset_update_and_delete_are_refused(entry):
    with pytest.raises(AppendOnlyError):
        ActivityLog.objects.filter(pk=entry.pk).update(message="rewritten")
    with pytest.raises(AppendOnlyError):
        ActivityLog.objects.all().delete()
    entry.message = "rewritten"
    with pytest.raises(AppendOnlyError), transaction.atomic():
        ActivityLog.objects.bulk_update([entry], ["message"])
    assert _unchanged(entry)


def test_the_base_manager_refuses_updates_and_deletes_too(entry):
    # Django reaches rows through the base manager in places (related objects,
    # refresh_from_db): it must not be a way around the rule.
    with pytest.raises(AppendOnlyError):
        ActivityLog._base_manager.filter(pk=entry.pk).update(message="rewritten")
    with pytest.raises(AppendOnlyError):
        ActivityLog._base_manager.filter(pk=entry.pk).delete()
    assert _unchanged(entry)


@postgresql_only
def test_raw_sql_update_is_refused_by_the_database(entry):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE activity_activitylog SET message = 'rewritten' WHERE id = %s", [entry.pk]
        )
    assert _unchanged(entry)


@postgresql_only
def test_raw_sql_delete_is_refused_by_the_database(entry):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM activity_activitylog WHERE id = %s", [entry.pk])
    assert ActivityLog.objects.filter(pk=entry.pk).exists()


def test_the_admin_shows_an_entry_read_only(admin_client, entry):
    response = admin_client.get(reverse("admin:activity_activitylog_change", args=[entry.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "original" in content
    assert 'name="message"' not in content  # no editable field
    assert 'type="submit"' not in content.split('id="content-main"', 1)[1]


def test_the_admin_refuses_to_change_an_entry(admin_client, entry):
    response = admin_client.post(
        reverse("admin:activity_activitylog_change", args=[entry.pk]), {"message": "rewritten"}
    )

    assert response.status_code == 403
    assert _unchanged(entry)


def test_the_admin_refuses_to_delete_or_add_an_entry(admin_client, entry):
    delete_url = reverse("admin:activity_activitylog_delete", args=[entry.pk])

    assert admin_client.get(delete_url).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert admin_client.get(reverse("admin:activity_activitylog_add")).status_code == 403
    assert ActivityLog.objects.filter(pk=entry.pk).exists()


def test_even_a_superuser_gets_no_add_change_or_delete_permission(
    rf, django_user_model, organisation
):
    from django.contrib import admin

    superuser = django_user_model.objects.create_superuser(
        "root", "root@example.com", "pw-root-123456", organisation=organisation
    )
    request = rf.get("/")
    request.user = superuser
    model_admin = admin.site.get_model_admin(ActivityLog)

    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)
