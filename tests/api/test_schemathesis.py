"""Schemathesis against the live API: the OpenAPI document is the truth and nothing answers 500.

The `st` command line runs every check (`--checks all`: server errors, undocumented statuses,
response schemas, refused valid data, accepted invalid data, methods, auth …) with a fixed seed
over real HTTP against gunicorn as `make run` and production run it (Django's development server
would be a poorer judge: it mis-frames chunked request bodies), with the repository's
schemathesis.toml. First the
examples, coverage and fuzzing phases over every operation, then the stateful phase over the run
lifecycle, which must follow the document's links far enough to really create runs, gates,
artifacts and checkpoints.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from artifacts.models import Artifact
from runs.models import GateRequest, OrchestrationCheckpoint, Run

pytestmark = pytest.mark.schemathesis

ROOT = Path(__file__).resolve().parents[2]
ST = Path(sys.executable).with_name("st")
SEED = 1
EXAMPLES = 5
STATEFUL_SECONDS = 40
STATEFUL_OPERATIONS = (
    "^runs_(create|retrieve|transition|gates_open|gates_decide|gates_list"
    "|checkpoint_put|checkpoint_get|artifacts_create|artifacts_list)$"
)
# A hung server fails the test instead of hanging the suite (a run takes about two minutes).
TIMEOUT_SECONDS = 300


def _schemathesis(
    base_url: str, key: str, cwd: Path, phases: str, *extra: str
) -> subprocess.CompletedProcess:
    command = [
        str(ST),
        "--config-file",
        str(ROOT / "schemathesis.toml"),
        "--no-color",
        "run",
        f"{base_url}/api/schema/",
        "--checks",
        "all",
        "--phases",
        phases,
        "--seed",
        str(SEED),
        "--max-examples",
        str(EXAMPLES),
        # One worker: Python 3.11.7's ast module is not thread-safe (CPython gh-106905), and
        # Hypothesis parses sources in two workers at once; it is also what makes a seed repeatable.
        "--workers",
        "1",
        "--header",
        f"X-API-Key: {key}",
        *extra,
    ]
    return subprocess.run(  # noqa: S603 - our own command line, no shell
        # A fresh folder: Schemathesis replays the crashes it cached (.schemathesis/) in the
        # folder it runs in, which would make one run depend on the ones before.
        command,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        cwd=cwd,
        check=False,
    )


def _counts() -> dict[str, int]:
    return {
        "runs": Run.objects.count(),
        "gates": GateRequest.objects.count(),
        "artifacts": Artifact.objects.count(),
        "checkpoints": OrchestrationCheckpoint.objects.count(),
    }


def test_schemathesis_finds_nothing_and_the_stateful_phase_creates_resources(
    gunicorn_url: str, live_key: str, tmp_path: Path
) -> None:
    stateless = _schemathesis(gunicorn_url, live_key, tmp_path, "examples,coverage,fuzzing")
    assert stateless.returncode == 0, stateless.stdout[-20_000:] + stateless.stderr[-5_000:]
    assert "failure" not in stateless.stdout.split("= SUMMARY =")[-1]

    before = _counts()
    # The stateful phase runs scenarios until its time budget is spent (max-examples does not
    # bound it; seeded, the same scenarios start in the same order). Over the run lifecycle's
    # operations, whose links (myloware/api/links.py) lead from a created run to its gates and
    # their decisions, artifacts and checkpoint: over the whole API the same budget spreads over
    # some 190 links and rarely gets that deep.
    stateful = _schemathesis(
        gunicorn_url,
        live_key,
        tmp_path,
        "stateful",
        "--max-time",
        str(STATEFUL_SECONDS),
        "--include-operation-id-regex",
        STATEFUL_OPERATIONS,
    )
    assert stateful.returncode == 0, stateful.stdout[-20_000:] + stateful.stderr[-5_000:]
    assert "failure" not in stateful.stdout.split("= SUMMARY =")[-1]
    after = _counts()
    created = {name: after[name] - before[name] for name in after}
    assert all(count > 0 for count in created.values()), created
