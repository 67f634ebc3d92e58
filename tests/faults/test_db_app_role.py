"""Issue 14, item 7: the application's database role cannot empty or unprotect the log.

The suite itself runs as the owner (it creates, migrates and flushes the test database);
this test creates the application role with ``manage.py grant_app_role``, connects as it
and tries every way around the append-only log that worked as the owner.
"""

from collections.abc import Iterator

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgresql(reason="database roles: PostgreSQL"),
]

LOG = "activity_activitylog"


@pytest.fixture
def app_connection() -> Iterator[psycopg.Connection]:
    # Roles are cluster-wide: one per test database, so parallel runs never share it.
    role = f"{connection.settings_dict['NAME']}_app"
    call_command("grant_app_role", role, password="app-secret")
    params = connection.settings_dict
    conn = psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        dbname=params["NAME"],
        user=role,
        password="app-secret",
        autocommit=True,
    )
    try:
        yield conn
    finally:
        conn.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')


@pytest.mark.parametrize(
    "statement",
    [
        f"TRUNCATE {LOG} CASCADE",
        f"TRUNCATE {LOG}",
        "SET session_replication_role = replica",
        f"ALTER TABLE {LOG} DISABLE TRIGGER ALL",
        f"ALTER TABLE {LOG} DISABLE TRIGGER USER",
        "UPDATE activity_activitylog SET id = id",
        "DELETE FROM activity_activitylog",
        f"DROP TABLE {LOG}",
        "TRUNCATE invoices_invoice CASCADE",
    ],
)
def test_the_app_role_cannot_get_around_the_append_only_log(app_connection, statement):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_connection.execute(statement)


def test_the_app_role_reads_and_appends_to_the_log_and_writes_the_rest(app_connection):
    def allowed(table: str, privilege: str) -> bool:
        row = app_connection.execute(
            "SELECT has_table_privilege(current_user, %s, %s)", [table, privilege]
        ).fetchone()
        return bool(row and row[0])

    assert allowed(LOG, "SELECT")
    assert allowed(LOG, "INSERT")
    assert not allowed(LOG, "UPDATE")
    assert not allowed(LOG, "DELETE")
    assert not allowed(LOG, "TRUNCATE")
    for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE"):
        assert allowed("invoices_invoice", privilege)
    assert not allowed("invoices_invoice", "TRUNCATE")
    app_connection.execute("SELECT count(*) FROM activity_activitylog")
    app_connection.execute("UPDATE invoices_invoice SET id = id WHERE false")


def test_the_command_refuses_a_superuser_role():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="superuser"):
        call_command("grant_app_role", connection.settings_dict["USER"] or "postgres")
