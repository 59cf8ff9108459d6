"""The database is the seed's: every seed column with its type, relationships and typical queries."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from artifacts.models import Artifact
from runs.models import HitlApproval, Run
from webhooks.models import WebhookDLQ, WebhookEvent

# Our own copy of the seed data model's facts (tests/fixtures/seed/schema.md says where they come from).
SEED_DIR = Path(__file__).parent.parent / "fixtures" / "seed"
SEED_DOC = SEED_DIR / "schema.md"
QUERIES_COPY = SEED_DIR / "typical_queries.sql"

# Seed column types as information_schema reports them. The seed's JSON column
# (hitl_approvals.metadata) is JSONB here, which stores the same JSON and can be indexed.
SEED_COLUMNS: dict[str, dict[str, str]] = {
    "runs": {"run_id": "text", "project": "text", "status": "text", "payload": "jsonb", "result": "jsonb",
             "created_at": "timestamp with time zone", "updated_at": "timestamp with time zone"},
    "artifacts": {"id": "uuid", "run_id": "text", "type": "text", "provider": "text", "url": "text",
                  "checksum": "text", "persona": "text", "retrieval_trace": "jsonb", "metadata": "jsonb",
                  "created_at": "timestamp with time zone"},
    "webhook_events": {"id": "uuid", "idempotency_key": "text", "provider": "text", "headers": "jsonb",
                       "payload": "bytea", "signature_status": "text", "received_at": "timestamp with time zone"},
    "webhook_dlq": {"id": "uuid", "idempotency_key": "text", "provider": "text", "headers": "jsonb",
                    "payload": "bytea", "error": "text", "retry_count": "integer",
                    "next_retry_at": "timestamp with time zone", "last_error_at": "timestamp with time zone",
                    "created_at": "timestamp with time zone", "updated_at": "timestamp with time zone"},
    "orchestration_checkpoints": {"run_id": "text", "state": "jsonb", "updated_at": "timestamp with time zone"},
    "hitl_approvals": {"id": "integer", "run_id": "text", "gate": "text", "approver_ip": "text",
                       "approver": "text", "metadata": "jsonb", "created_at": "timestamp with time zone"},
    "kb_documents": {"id": "uuid", "project": "text", "persona": "text", "path": "text", "content": "text",
                     "created_at": "timestamp with time zone"},
    "kb_embeddings": {"id": "uuid", "doc_id": "uuid", "embedding": "vector(1536)"},
    "socials": {"id": "uuid", "provider": "text", "account_id": "text", "credential_ref": "text",
                "default_caption": "text", "default_tags": "jsonb", "privacy": "text",
                "rate_limit_window": "integer", "created_at": "timestamp with time zone"},
    "project_socials": {"id": "uuid", "project": "text", "social_id": "uuid", "is_primary": "boolean",
                        "created_at": "timestamp with time zone"},
}  # fmt: skip
PRIMARY_KEYS = {table: "id" for table in SEED_COLUMNS} | {
    "runs": "run_id",
    "orchestration_checkpoints": "run_id",
}
CASCADES = [
    ("artifacts", "run_id", "runs"),
    ("orchestration_checkpoints", "run_id", "runs"),
    ("hitl_approvals", "run_id", "runs"),
    ("kb_embeddings", "doc_id", "kb_documents"),
    ("project_socials", "social_id", "socials"),
]
_SEED_TYPE_NAMES = {"TEXT": "text", "UUID": "uuid", "JSONB": "jsonb", "JSON": "jsonb", "BYTEA": "bytea",
                    "TIMESTAMPTZ": "timestamp with time zone", "INTEGER": "integer", "INT": "integer",
                    "SERIAL": "integer", "BOOLEAN": "boolean", "VECTOR(1536)": "vector(1536)"}  # fmt: skip


def _db_columns(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT column_name, format_type(a.atttypid, a.atttypmod)
            FROM information_schema.columns c
            JOIN pg_attribute a ON a.attrelid = c.table_name::regclass AND a.attname = c.column_name
            WHERE c.table_schema = 'public' AND c.table_name = %s
            """,
            [table],
        )
        return dict(cursor.fetchall())


def _seed_tables_from_doc() -> dict[str, dict[str, str]]:
    """Parse the seed document's column tables: {table: {column: type}}."""
    tables: dict[str, dict[str, str]] = {}
    current = None
    for line in SEED_DOC.read_text().splitlines():
        heading = re.match(r"^#{3,4} (\w+)\s*$", line)
        if heading:
            current = heading.group(1)
            continue
        row = re.match(r"^\|\s*`(\w+)`\s*\|\s*([A-Za-z0-9()]+)", line)
        if current and row:
            tables.setdefault(current, {})[row.group(1)] = _SEED_TYPE_NAMES[row.group(2).upper()]
    return tables


def test_expected_columns_are_exactly_the_seed_documents() -> None:
    assert _seed_tables_from_doc() == SEED_COLUMNS


@pytest.mark.django_db
@pytest.mark.parametrize("table", sorted(SEED_COLUMNS))
def test_every_seed_column_exists_with_its_seed_type(table: str) -> None:
    actual = _db_columns(table)
    for column, expected_type in SEED_COLUMNS[table].items():
        assert column in actual, f"{table}.{column} is missing"
        assert actual[column] == expected_type, (
            f"{table}.{column} is {actual[column]}, seed says {expected_type}"
        )


@pytest.mark.django_db
@pytest.mark.parametrize("table", sorted(SEED_COLUMNS))
def test_primary_keys_are_the_seeds(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT a.attname FROM pg_index i
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
               WHERE i.indrelid = %s::regclass AND i.indisprimary""",
            [table],
        )
        assert [row[0] for row in cursor.fetchall()] == [PRIMARY_KEYS[table]]


@pytest.mark.django_db
@pytest.mark.parametrize(("child", "column", "parent"), CASCADES)
def test_relationships_cascade_on_delete_in_the_database(child: str, column: str, parent: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.confrelid::regclass::text, c.confdeltype FROM pg_constraint c
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
               WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND a.attname = %s""",
            [child, column],
        )
        assert cursor.fetchall() == [(parent, "c")]


@pytest.mark.django_db
def test_deleting_a_run_in_sql_removes_its_children() -> None:
    Run.objects.create(run_id="run_gone", project="aismr", status="pending", payload={})
    Artifact.objects.create(run_id="run_gone", type="idea")
    HitlApproval.objects.create(run_id="run_gone", gate="workflow", approver="a")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM runs WHERE run_id = 'run_gone'")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert not Artifact.objects.filter(run_id="run_gone").exists()
    assert not HitlApproval.objects.filter(run_id="run_gone").exists()


@pytest.mark.django_db
def test_kb_embeddings_have_an_hnsw_cosine_index() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'kb_embeddings'")
        definitions = " ".join(row[0] for row in cursor.fetchall())
    assert "USING hnsw (embedding vector_cosine_ops)" in definitions


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("runs", "(created_at)"),
        ("runs", "(status)"),
        ("artifacts", "(run_id, created_at)"),
        ("artifacts", "(persona, created_at)"),
        ("webhook_events", "(received_at)"),
        ("webhook_dlq", "(next_retry_at)"),
    ],
)
def test_typical_queries_have_their_index(table: str, columns: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        definitions = [row[0] for row in cursor.fetchall()]
    # An index whose leading columns are these serves the query (extra trailing columns are fine).
    leading = columns[:-1]
    assert any(re.search(rf"USING btree {re.escape(leading)}[,)]", d) for d in definitions), definitions


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("table", "definition"),
    [
        ("webhook_events", "UNIQUE (provider, idempotency_key)"),
        ("socials", "UNIQUE (provider, account_id)"),
        ("project_socials", "UNIQUE (project, social_id)"),
    ],
)
def test_unique_constraints_of_product_spec(table: str, definition: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'u'",
            [table],
        )
        constraints = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        indexes = " ".join(row[0] for row in cursor.fetchall())
    columns = definition.removeprefix("UNIQUE ")
    assert definition in constraints or "UNIQUE INDEX" in indexes and columns in indexes


@pytest.mark.django_db
def test_at_most_one_primary_social_per_project_is_a_partial_unique_index() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'project_socials'")
        indexes = [row[0] for row in cursor.fetchall()]
    assert any("UNIQUE INDEX" in i and "(project)" in i and "WHERE is_primary" in i for i in indexes), indexes


# --- the seed's typical queries, verbatim ----------------------------------------------------


def _seed_sql_blocks() -> list[str]:
    return QUERIES_COPY.read_text().split("\n", 1)[1].split("\n-- next block\n")


def _statements() -> list[str]:
    statements = []
    for block in _seed_sql_blocks():
        statements.extend(part.strip() for part in block.split(";") if part.strip())
    return statements


def test_the_seed_has_nine_typical_queries() -> None:
    assert len(_statements()) == 9


@pytest.fixture
def seed_rows(db: None) -> dict[str, object]:
    now = timezone.now()
    ago = lambda minutes: now - timedelta(minutes=minutes)  # noqa: E731
    runs = [
        Run.objects.create(run_id="run_abc123", project="aismr", status="running", payload={}, created_at=ago(30)),
        Run.objects.create(run_id="run_def456", project="aismr", status="published", payload={}, created_at=ago(20)),
        Run.objects.create(run_id="run_ghi789", project="test_video_gen", status="running", payload={},
                           created_at=ago(10)),
    ]  # fmt: skip
    Artifact.objects.create(
        run_id="run_abc123", type="idea", persona="iggy", provider="iggy", created_at=ago(29)
    )
    Artifact.objects.create(run_id="run_abc123", type="clip", persona="riley", provider="kieai",
                            url="https://cdn.example/clip.mp4", created_at=ago(28))  # fmt: skip
    Artifact.objects.create(
        run_id="run_def456", type="idea", persona="iggy", provider="iggy", created_at=ago(19)
    )
    for minutes, status in ((5, "valid"), (4, "invalid"), (3, "missing")):
        WebhookEvent.objects.create(
            provider="kieai", idempotency_key=f"k{minutes}", headers={"x": "1"}, payload=b"{}",
            signature_status=status, received_at=ago(minutes),
        )  # fmt: skip
    dlq = [
        ("kieai", "boom", None, 9),
        ("kieai", "boom", ago(1), 8),
        ("shotstack", "bad", now + timedelta(hours=1), 7),
    ]
    for index, (provider, error, next_retry, minutes) in enumerate(dlq):
        WebhookDLQ.objects.create(
            provider=provider, idempotency_key=f"d{index}", headers={}, payload=b"{}", error=error,
            next_retry_at=next_retry, created_at=ago(minutes),
        )  # fmt: skip
    HitlApproval.objects.create(run_id="run_abc123", gate="ideate", approver="admin:op", created_at=ago(2))
    HitlApproval.objects.create(
        run_id="run_def456", gate="prepublish", approver="admin:op", created_at=ago(1)
    )
    return {"runs": runs}


def _run(sql: str) -> tuple[list[str], list[tuple]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [column.name for column in cursor.description], cursor.fetchall()


def test_seed_typical_queries_return_the_expected_rows(seed_rows: dict[str, object]) -> None:
    q = _statements()

    columns, rows = _run(q[0])
    assert columns == ["run_id", "project", "status", "created_at", "updated_at"]
    assert [r[0] for r in rows] == ["run_ghi789", "run_def456", "run_abc123"]

    assert dict(_run(q[1])[1]) == {"running": 2, "published": 1}

    columns, rows = _run(q[2])
    assert columns == ["type", "provider", "url", "metadata", "created_at"]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("idea", "iggy", None),
        ("clip", "kieai", "https://cdn.example/clip.mp4"),
    ]

    columns, rows = _run(q[3])
    assert [(r[0], r[1]) for r in rows] == [("run_def456", "idea"), ("run_abc123", "idea")]

    columns, rows = _run(q[4])
    assert [r[1] for r in rows] == ["missing", "invalid", "valid"]

    columns, rows = _run(q[5])
    assert columns == ["provider", "headers", "received_at"]
    assert len(rows) == 2

    columns, rows = _run(q[6])
    assert columns == ["id", "provider", "retry_count", "next_retry_at"]
    assert [(r[1], r[3] is None) for r in rows] == [("kieai", True), ("kieai", False)]

    assert _run(q[7])[1] == [("kieai", "boom", 2), ("shotstack", "bad", 1)]

    columns, rows = _run(q[8])
    assert [(r[0], r[1]) for r in rows] == [("run_def456", "prepublish"), ("run_abc123", "ideate")]
