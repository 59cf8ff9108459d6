"""Migration operations shared by the apps."""

from __future__ import annotations

from typing import Any

from django.db import migrations

PGVECTOR_MISSING = (
    "The pgvector extension is not available on this PostgreSQL server. MyloWare needs pgvector "
    "0.8+ (https://github.com/pgvector/pgvector): install it on the server (e.g. the "
    "postgresql-<version>-pgvector package) or unset DATABASE_URL to use the embedded server, "
    "which ships it."
)


def _create_vector_extension(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        if cursor.fetchone() is None:
            raise RuntimeError(PGVECTOR_MISSING)
        cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")


def CreatePgvectorExtension() -> migrations.RunPython:  # noqa: N802 - reads like an operation class
    return migrations.RunPython(_create_vector_extension, migrations.RunPython.noop, elidable=False)


def CascadeOnDelete(table: str, column: str) -> migrations.RunSQL:  # noqa: N802
    """Make the foreign key on ``table.column`` ON DELETE CASCADE in the database itself.

    Django 5.2 emulates CASCADE in Python only; the seed's relationships cascade in SQL too, so
    a ``DELETE FROM runs`` issued by hand or by another tool removes the run's children.
    """
    # Table and column names are literals from our own migrations, never input.
    sql = f"""
    DO $$
    DECLARE fk record;
    BEGIN
      FOR fk IN
        SELECT c.conname, pg_get_constraintdef(c.oid) AS def
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.contype = 'f' AND c.conrelid = '{table}'::regclass AND a.attname = '{column}'
      LOOP
        EXECUTE format('ALTER TABLE {table} DROP CONSTRAINT %I', fk.conname);
        EXECUTE format('ALTER TABLE {table} ADD CONSTRAINT %I %s ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED',
                       fk.conname, regexp_replace(fk.def, ' DEFERRABLE.*$', ''));
      END LOOP;
    END $$;
    """  # noqa: S608
    return migrations.RunSQL(sql, migrations.RunSQL.noop)
