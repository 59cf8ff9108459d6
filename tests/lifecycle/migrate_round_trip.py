"""``python -m tests.lifecycle.migrate_round_trip``, with DATABASE_URL naming an empty database:
migrate forward, every app to zero, forward again; prints the schema after each forward run and
the tables left at zero, as JSON."""

from __future__ import annotations

import io
import json
import os

os.environ["DJANGO_SETTINGS_MODULE"] = "myloware.settings"


OURS = {"api", "workers", "runs", "artifacts", "webhooks", "knowledge", "socials"}


def schema() -> list[list[str]]:
    """Columns, indexes, constraints and triggers of the public schema, as comparable text."""
    from django.db import connection

    queries = [
        """SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '')
           FROM information_schema.columns WHERE table_schema = 'public'""",
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
        """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
           WHERE connamespace = 'public'::regnamespace""",
        """SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger
           WHERE NOT tgisinternal""",
    ]
    rows: list[list[str]] = []
    with connection.cursor() as cursor:
        for query in queries:
            cursor.execute(query)
            rows += [[str(value) for value in row] for row in cursor.fetchall()]
    return sorted(rows)


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    quiet = {"stdout": io.StringIO(), "verbosity": 0}
    call_command("migrate", **quiet)
    first = schema()
    apps = sorted({label for label, _ in MigrationLoader(connection).graph.leaf_nodes()})
    ours = [label for label in apps if label in OURS]
    for label in ours:
        call_command("migrate", label, "zero", **quiet)
    # The libraries' own migrations, last. Django's auth.0002 shortens permission names on its way
    # back, so the permissions migrate's post_migrate signal added (rows, not schema) go first.
    from django.contrib.auth.models import Permission

    Permission.objects.all().delete()
    for label in apps:
        call_command("migrate", label, "zero", **quiet)
    left = sorted(set(connection.introspection.table_names()) - {"django_migrations"})
    call_command("migrate", **quiet)
    print(json.dumps({"apps": apps, "left_at_zero": left, "same_schema": schema() == first}))


if __name__ == "__main__":
    main()
