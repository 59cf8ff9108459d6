"""The demo's gate-decided hook is registered by its AppConfig, and only where the demo is enabled."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from myloware.demo.apps import GATE_DECIDED_TASK, register_hooks
from runs import services as run_services
from runs.models import Run

BASE_DIR = Path(settings.BASE_DIR)
# Django set up with the production-like settings (DEBUG off) and nothing else configured.
PRINT_HANDLERS = (
    "import django; django.setup();"
    "from django.conf import settings; from runs.services import gate_decided_handlers;"
    "print(settings.DEMO_PIPELINE_ENABLED, gate_decided_handlers())"
)


def _handlers_in_a_fresh_process(**env: str) -> str:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "myloware.settings",
        "SECRET_KEY": "a-production-like-secret-key-for-this-test-only",
        **env,
    }
    for name in ("DEMO_PIPELINE_ENABLED", "GATE_DECIDED_TASKS"):
        if name not in env:
            environment.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", PRINT_HANDLERS],
        capture_output=True, text=True, env=environment, cwd=BASE_DIR, timeout=120, check=True,
    )  # fmt: skip
    return result.stdout.strip()


def test_with_debug_off_no_gate_enqueues_the_demo_task() -> None:
    assert _handlers_in_a_fresh_process(DEBUG="0") == "False []"


def test_the_app_registers_its_hook_when_enabled() -> None:
    assert (
        _handlers_in_a_fresh_process(DEBUG="0", DEMO_PIPELINE_ENABLED="1") == f"True ['{GATE_DECIDED_TASK}']"
    )
    assert _handlers_in_a_fresh_process(DEBUG="1") == f"True ['{GATE_DECIDED_TASK}']"
    assert _handlers_in_a_fresh_process(DEBUG="1", DEMO_PIPELINE_ENABLED="0") == "False []"


def test_register_hooks_reads_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_services, "_GATE_DECIDED_HANDLERS", [])
    with override_settings(DEMO_PIPELINE_ENABLED=False, GATE_DECIDED_TASKS=[]):
        register_hooks()
        assert run_services.gate_decided_handlers() == []
    with override_settings(DEMO_PIPELINE_ENABLED=True, GATE_DECIDED_TASKS=[]):
        register_hooks()
        register_hooks()  # ready() may run more than once: registered once
        assert run_services.gate_decided_handlers() == [GATE_DECIDED_TASK]


@pytest.mark.django_db
@override_settings(DEMO_PIPELINE_ENABLED=False)
def test_the_command_refuses_to_start_a_demo_nobody_would_resume() -> None:
    with pytest.raises(CommandError, match="DEMO_PIPELINE_ENABLED"):
        call_command("demo_pipeline", "--auto-approve")
    assert not Run.objects.exists()
