"""Give the application's database role what it needs, and nothing more.

Migrations run as the role that owns the schema; web, workers and beat connect as a role
that owns nothing (docker-compose.yml, README "Deployment"). Owning nothing, that role
cannot TRUNCATE, ALTER or DISABLE TRIGGER, and, not being a superuser, cannot set
``session_replication_role`` to skip triggers. On append-only tables
(``settings.APPEND_ONLY_MODELS``) it may only read and insert.

Run it after every ``migrate`` (new tables need their grants): it is idempotent.
"""

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from psycopg import sql


class Command(BaseCommand):
    help = "Grant the application's PostgreSQL role its privileges (run after migrate)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("role", help="the role web, workers and beat connect as")
        parser.add_argument(
            "--password", default="", help="create the role with this password if missing"
        )

    def handle(self, *args: Any, role: str, password: str, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("Not PostgreSQL: nothing to grant.")
            return
        append_only = {
            apps.get_model(label)._meta.db_table for label in settings.APPEND_ONLY_MODELS
        }
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
            row = cursor.fetchone()
            if row is None:
                if not password:
                    raise CommandError(f"Role {role} does not exist: pass --password to create it.")
                cursor.execute(
                    sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}")
                    .format(sql.Identifier(role), sql.Literal(password))
                    .as_string(cursor.connection)
                )
            elif row[0]:
                raise CommandError(f"Role {role} is a superuser: the application must not be.")
            ident = sql.Identifier(role)
            statements = [
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                    sql.Identifier(connection.settings_dict["NAME"]), ident
                ),
                sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident),
                sql.SQL(
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"
                ).format(ident),
                sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(
                    ident
                ),
            ]
            for table in sorted(append_only):
                statements.append(
                    sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(
                        sql.Identifier(table), ident
                    )
                )
            for statement in statements:
                cursor.execute(statement.as_string(cursor.connection))
        tables = ", ".join(sorted(append_only))
        self.stdout.write(f"{role}: read/write on every table, read/insert only on {tables}.")
