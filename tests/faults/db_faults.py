"""Real database faults for the fault scenarios: a trigger that makes the database refuse
every insert into a table, as a full disk, a lost connection or a broken constraint
would, without touching the application's code."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def inserts_failing(table: str, *, transient: bool = False) -> Iterator[None]:
    """Every INSERT into ``table`` fails while the block runs. ``transient`` (PostgreSQL
    only) raises a connection-class error (SQLSTATE 08006), which the runner retries."""
    postgres = connection.vendor == "postgresql"
    assert postgres or not transient, "SQLite has no connection-class errors to raise"
    with connection.cursor() as cursor:
        if postgres:
            code = "08006" if transient else "P0001"
            cursor.execute(
                "CREATE FUNCTION faults_refuse_insert() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION 'injected fault' USING ERRCODE = '{code}'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER faults_refuse_insert BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION faults_refuse_insert()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER faults_refuse_insert BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if postgres:
                cursor.execute(f"DROP TRIGGER faults_refuse_insert ON {table}")
                cursor.execute("DROP FUNCTION faults_refuse_insert()")
            else:
                cursor.execute("DROP TRIGGER faults_refuse_insert")
