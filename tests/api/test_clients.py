"""Clients generated from the live OpenAPI document work the first time (docs/clients.md).

The document is fetched from gunicorn, as a consumer would. openapi-python-client must generate
every operation with no warning, openapi-typescript's types must compile under ``tsc --strict``
with a consumer's use of them (clients/typescript/check.ts), and both must be what is committed
under clients/ (``make clients`` regenerates them). Then the worked example, an orchestrator
outside Django that only uses the committed Python client, drives a run through gunicorn.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from artifacts.models import Artifact
from myloware.api.services import api_key_create
from runs.models import GateRequest, OrchestrationCheckpoint, Run, RunStatus
from socials.models import Publication
from socials.services import project_social_link, social_create

pytestmark = pytest.mark.http

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "clients"
TYPESCRIPT = CLIENTS / "typescript"
TSC = TYPESCRIPT / "node_modules" / ".bin" / "tsc"
# A hung generator or example fails the test instead of hanging the suite.
TIMEOUT_SECONDS = 300


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own command lines
        command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False, **kwargs
    )


def _differences(generated: Path, committed: Path) -> list[str]:
    """Files that are missing, extra or different in ``committed`` (recursively)."""
    found: list[str] = []
    pending = [filecmp.dircmp(generated, committed, ignore=["__pycache__"])]
    while pending:
        compared = pending.pop()
        found += [f"missing {compared.right}/{name}" for name in compared.left_only]
        found += [f"not generated {compared.right}/{name}" for name in compared.right_only]
        # dircmp compares by stat signature first; read the bytes.
        _, mismatch, errors = filecmp.cmpfiles(
            compared.left, compared.right, compared.common_files, shallow=False
        )
        found += [f"differs {compared.right}/{name}" for name in mismatch + errors]
        pending += compared.subdirs.values()
    return found


def test_generated_clients_work_and_match_the_committed_ones(gunicorn_url: str, tmp_path: Path) -> None:
    assert TSC.exists(), (
        "the TypeScript tools are missing: `make test` installs them (npm ci in clients/typescript)"
    )
    answer = httpx.get(
        f"{gunicorn_url}/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}, timeout=60
    )
    assert answer.status_code == 200, answer.text[:500]
    document = tmp_path / "openapi.json"
    document.write_bytes(answer.content)

    generated = _run([sys.executable, str(CLIENTS / "generate.py"), str(document), str(tmp_path)])
    assert generated.returncode == 0, generated.stdout + generated.stderr

    operations = [
        operation["operationId"]
        for item in json.loads(answer.content)["paths"].values()
        for operation in item.values()
    ]
    modules = {path.stem for path in (tmp_path / "python").glob("myloware_client/api/*/*.py")} - {"__init__"}
    assert sorted(modules) == sorted(operations)

    shutil.copy(TYPESCRIPT / "check.ts", tmp_path / "typescript")
    shutil.copy(TYPESCRIPT / "tsconfig.json", tmp_path / "typescript")
    compiled = _run([str(TSC), "--project", str(tmp_path / "typescript")])
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr

    stale = _differences(tmp_path / "python", CLIENTS / "python")
    if not filecmp.cmp(tmp_path / "typescript" / "api.d.ts", TYPESCRIPT / "api.d.ts", shallow=False):
        stale.append(f"differs {TYPESCRIPT / 'api.d.ts'}")
    assert stale == [], (
        "The committed clients no longer match the document; run `make clients`:\n" + "\n".join(stale)
    )


def test_the_worked_example_drives_a_run_through_gunicorn(gunicorn_url: str) -> None:
    project = "example"
    orchestrator = api_key_create(
        name="orchestrator",
        scopes=("runs", "artifacts", "checkpoints", "socials:read", "socials:publish"),
    )[1]
    reviewer = api_key_create(name="reviewer", scopes=("gates:decide",))[1]
    # No credential: the fake publisher (DEBUG, as gunicorn runs here) serves the account.
    social = social_create(provider="tiktok", account_id="myloware_example", actor="test")
    project_social_link(project=project, social_id=social.pk, is_primary=True, actor="test")

    env = {
        **os.environ,
        "PYTHONPATH": str(CLIENTS / "python"),
        "MYLOWARE_API_KEY": orchestrator,
        "MYLOWARE_REVIEWER_KEY": reviewer,
    }
    example = _run(
        [sys.executable, str(CLIENTS / "examples" / "orchestrator.py"), gunicorn_url, project], env=env
    )
    output = example.stdout + example.stderr
    assert example.returncode == 0, output
    for answer in (
        "404 not_found",
        "409 conflict",
        "412 precondition_failed",
        "428 precondition_required",
        "403 missing_scope",
        "needs gates:decide",
        "reading it again with If-None-Match: 304",
        "decided: approved by api:reviewer",
        "done",
    ):
        assert answer in output, output

    run = Run.objects.get(project=project)
    assert run.payload == {"topic": "rain on a tin roof", "persona": "ideator", "steps": 3}
    types = set(Artifact.objects.filter(run=run).values_list("type", flat=True))
    assert {"retrieval.trace", "citations", "render.url"} <= types
    trace = Artifact.objects.get(run=run, type="retrieval.trace")
    citations = Artifact.objects.get(run=run, type="citations")
    assert citations.metadata["trace_id"] == str(trace.pk)
    assert OrchestrationCheckpoint.objects.get(run=run).state == {"node": "produce"}
    gate = GateRequest.objects.get(run=run, gate="prepublish")
    assert (gate.status, gate.decided_by, gate.opened_by) == ("approved", "api:reviewer", "api:orchestrator")
    publication = Publication.objects.get(run_id=run.run_id)
    assert publication.caption == "Rain on a tin roof" and publication.fake
    run.refresh_from_db()
    assert run.status == RunStatus.PUBLISHED
    # Every artifact was read, one page each.
    assert f"  {Artifact.objects.filter(run=run).count()} pages" in output, output
