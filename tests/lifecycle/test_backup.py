"""Backups that restore: a filled database is backed up, restored into a fresh data folder (its
own embedded server) and found byte-identical; the restored instance is healthy and a run resumes
from its restored checkpoint (docs/operations.md, Backups)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from knowledge.models import KbEmbedding
from knowledge.services import kb_document_upsert
from myloware.db import stop_embedded_server
from runs.langgraph import DjangoCheckpointSaver
from runs.models import HitlApproval, RunStatus
from runs.services import gate_decide, gate_open
from tests.factories import make_run
from tests.lifecycle.graph import build, table_checksums
from webhooks.models import EventStatus, SignatureStatus, WebhookDLQ, WebhookEvent

PROBE_TIMEOUT = 180  # seconds: initdb of the fresh folder and a restore on a loaded 2-core box


def fill() -> str:
    """Runs with gates and approvals, events with binary bodies and their DLQ entries, KB
    documents with vectors, and a run interrupted in its graph; the id of that run."""
    for index in range(3):
        run = make_run(RunStatus.RUNNING)
        gate_open(run_id=run.run_id, gate="ideate", actor="api:orchestrator")
        gate_decide(run_id=run.run_id, gate="ideate", decision="approve", actor=f"operator:op{index}")
    now = timezone.now()
    for index in range(20):
        body = bytes(range(256)) * (index + 1) + os.urandom(64)  # every byte value, NUL included
        event = WebhookEvent.objects.create(
            idempotency_key=f"bin-{index}",
            provider="kieai",
            payload=body,
            payload_size=len(body),
            payload_sha256=hashlib.sha256(body).hexdigest(),
            signature_status=SignatureStatus.VALID,
            status=EventStatus.FAILED if index % 4 == 0 else EventStatus.PROCESSED,
        )
        if index % 4 == 0:
            WebhookDLQ.objects.create(
                event=event,
                idempotency_key=event.idempotency_key,
                provider="kieai",
                payload=body,
                error="upstream down",
                next_retry_at=now + timedelta(hours=1),
            )
    for index in range(4):
        kb_document_upsert(
            path=f"aismr/notes-{index}.md", content=f"# Note {index}\n\nHooks that work. " * 20, actor="test"
        )
    graph_run = make_run(RunStatus.RUNNING)
    saver = DjangoCheckpointSaver()
    graph = build(Path(os.devnull)).compile(checkpointer=saver, interrupt_before=["b"])
    state = graph.invoke({"done": []}, {"configurable": {"thread_id": graph_run.run_id}})
    saver.close()
    assert state["done"] == ["a"]
    return graph_run.run_id


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_byte_identical_healthy_and_resumable(tmp_path: Path) -> None:
    run_id = fill()
    assert KbEmbedding.objects.exists() and HitlApproval.objects.count() == 3
    backup = tmp_path / "myloware.dump"
    out = io.StringIO()
    call_command("backup", str(backup), stdout=out)
    assert out.getvalue().startswith("backed up ") and backup.stat().st_size > 0
    original = table_checksums()

    restored = tmp_path / "restored"
    env = {**os.environ, "MYLOWARE_DATA_DIR": str(restored), "DJANGO_SETTINGS_MODULE": "myloware.settings"}
    env.pop("DATABASE_URL", None)
    log = tmp_path / "nodes.log"

    def in_restored(*command: str) -> subprocess.CompletedProcess[str]:
        """Python running ``command`` in a process of its own, on the restored data folder."""
        return subprocess.run(
            [sys.executable, *command],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
        )

    try:
        restore = in_restored("manage.py", "restore", str(backup))
        assert restore.returncode == 0, restore.stderr
        assert restore.stdout.startswith("restored ")
        probe = in_restored("-m", "tests.lifecycle.restored_probe", run_id, str(log))
        assert probe.returncode == 0, probe.stderr
        again = in_restored("manage.py", "restore", str(backup))
    finally:
        stop_embedded_server(restored / "pgdata")
    found: dict[str, Any] = json.loads(probe.stdout.splitlines()[-1])
    assert found["checksums"] == original
    assert {
        "webhook_events",
        "webhook_dlq",
        "kb_embeddings",
        "langgraph_checkpoints",
        "hitl_approvals",
    } <= set(original)
    assert found["health"] == 200
    assert found["done"] == ["a", "b", "c"]
    assert log.read_text().split() == ["b", "c"]  # resumed: a did not run again
    # A second restore into the now full database is refused, in one line.
    assert again.returncode == 1
    assert again.stderr.strip().splitlines() == [
        f"CommandError: The database myloware is not empty ({len(original)} tables): restore into a "
        "fresh MYLOWARE_DATA_DIR or a new, empty database"
    ]


@pytest.mark.django_db
def test_bad_backup_and_restore_input_is_one_line(tmp_path: Path) -> None:
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    cases = [
        ("backup", str(tmp_path / "missing" / "x.dump"), f"{tmp_path / 'missing'} does not exist"),
        ("backup", str(tmp_path), "is a folder: name the backup file"),
        ("restore", str(tmp_path / "none.dump"), "none.dump is not a file"),
        ("restore", str(not_a_backup), "is not a backup written by manage.py backup"),
        ("restore", str(tmp_path), "is not a file"),
    ]
    for command, argument, says in cases:
        with pytest.raises(CommandError) as raised:
            call_command(command, argument)
        assert says in str(raised.value) and "\n" not in str(raised.value), (command, argument)
