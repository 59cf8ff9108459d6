"""Periodic jobs are declared in code and installed idempotently; dev secrets never override."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from myloware.lib.env import load_env_file


@pytest.mark.django_db
def test_setup_schedules_installs_every_declared_job_once() -> None:
    call_command("setup_schedules", stdout=io.StringIO())
    call_command("setup_schedules", stdout=io.StringIO())
    names = set(Schedule.objects.values_list("name", flat=True))
    assert Schedule.objects.count() == len(names)
    assert {
        "runs.gates_expire_due",
        "runs.gate_callbacks_retry_due",
        "runs.gate_notifications_due",
        "runs.langgraph.prune_checkpoints",
        "socials.publications_recover_stale",
        "socials.publications_poll_status",
    } <= names
    assert any(name.startswith("knowledge") for name in names)
    # The DLQ replay is a schedule like the others (processing itself is the webhook loop).
    assert "webhooks.replay_due_webhooks" in names


@pytest.mark.django_db
def test_setup_schedules_deletes_recurring_schedules_no_longer_declared_and_keeps_one_off_jobs() -> None:
    Schedule.objects.create(
        name="runs.langgraph.retired_job",
        func="runs.langgraph.tasks.prune_checkpoints",
        schedule_type=Schedule.MINUTES,
        minutes=1,
    )
    Schedule.objects.create(
        name="a job queued for later", func="runs.tasks.gates_expire_due", schedule_type=Schedule.ONCE
    )
    out = io.StringIO()

    call_command("setup_schedules", stdout=out)

    names = set(Schedule.objects.values_list("name", flat=True))
    assert "runs.langgraph.retired_job" not in names
    assert "deleted schedule runs.langgraph.retired_job" in out.getvalue().splitlines()
    assert "a job queued for later" in names
    assert "runs.langgraph.prune_checkpoints" in names


def test_env_file_fills_gaps_but_never_overrides_the_environment(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    env_file = tmp_path / "dev.env"
    env_file.write_text("# comment\nMYLOWARE_T_A=from-file\nMYLOWARE_T_B=from-file\nnot a pair\n")
    monkeypatch.setenv("MYLOWARE_T_A", "from-env")
    monkeypatch.delenv("MYLOWARE_T_B", raising=False)
    assert load_env_file(env_file) == ["MYLOWARE_T_B"]
    assert os.environ["MYLOWARE_T_A"] == "from-env"
    assert os.environ["MYLOWARE_T_B"] == "from-file"
    monkeypatch.delenv("MYLOWARE_T_B")
    assert load_env_file(tmp_path / "absent.env") == []
