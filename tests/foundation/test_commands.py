"""Every management command of ours turns bad input into one line and a non-zero exit.

In-process (``call_command``) for each command and each kind of bad input; through a real
``manage.py`` process for what only a terminal shows: no usage block, no traceback, nothing on
stdout. The commands' output and their logs stay apart (stdout is the output alone), and progress
is a bar on a terminal and a few plain lines elsewhere.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command, get_commands, load_command_class
from django.db import connection

from knowledge.models import KbDocument
from myloware.api.services import api_key_create
from myloware.lib.commands import MylowareCommand
from socials.models import Social

BASE_DIR = Path(settings.BASE_DIR)
OUR_APPS = ("myloware", "runs", "artifacts", "webhooks", "knowledge", "socials")

# (command, arguments, what the one line says). At least one row per command of ours.
BAD_INPUT = [
    ("replay_webhooks", ["--id", "notauuid"], "invalid UUID value: 'notauuid'"),
    ("replay_webhooks", ["--provider", "nosuch"], "Unknown webhook provider 'nosuch'"),
    ("replay_webhooks", ["--limit", "0"], "'0' is not a whole number of at least 1"),
    ("poll_publications", ["--limit", "abc"], "'abc' is not a whole number of at least 1"),
    ("kb_search", ["hooks", "--project", "nosuch"], "Unknown project 'nosuch'"),
    ("kb_search", ["hooks", "--k", "0"], "k must be between 1 and 50"),
    ("kb_search", ["hooks", "--run-id", "run_nosuch"], "Run 'run_nosuch' does not exist"),
    ("kb_ingest", ["/nonexistent/kb"], "/nonexistent/kb does not exist"),
    ("kb_reembed", ["--bogus"], "unrecognized arguments: --bogus"),
    ("create_api_key", ["x" * 101, "--scope", "runs"], "at most 100 characters"),
    ("create_api_key", ["bot", "--scope", "everything"], "Unknown API key scope everything"),
    (
        "create_api_key",
        ["existing", "--scope", "runs"],
        "already exists; to give its consumer a new key, rotate",
    ),
    ("revoke_api_key", ["nosuch"], "No API key named 'nosuch'"),
    ("enroll_totp", ["nosuch"], "No user 'nosuch'"),
    ("rotate_api_key", ["nosuch"], "No API key named 'nosuch'"),
    ("rotate_api_key", ["existing", "--grace", "-1"], "The grace period is 0 to 8760 hours"),
    ("rotate_api_key", ["existing", "--grace", "soon"], "invalid float value: 'soon'"),
    ("demo_pipeline", ["--project", ""], "Invalid project slug ''"),
    ("demo_pipeline", ["--timeout", "0"], "'0' is not a number greater than 0"),
    ("demo_pipeline", ["--base-url", "localhost:8000"], "'localhost:8000' is not an http(s) URL"),
    ("expire_gates", ["--verbosity", "9"], "invalid choice: 9"),
    ("deliver_gate_callbacks", ["--verbosity", "loud"], "invalid int value: 'loud'"),
    ("setup_schedules", ["--bogus"], "unrecognized arguments: --bogus"),
    ("check_tasks", ["--bogus"], "unrecognized arguments: --bogus"),
    ("process_webhooks", ["--bogus"], "unrecognized arguments: --bogus"),
    ("retention", ["--batch", "0"], "'0' is not a whole number of at least 1"),
    ("backup", ["/nonexistent/dir/x.dump"], "/nonexistent/dir does not exist"),
    ("restore", ["/nonexistent/x.dump"], "/nonexistent/x.dump is not a file"),
]


def our_commands() -> dict[str, str]:
    return {name: app for name, app in get_commands().items() if app.split(".")[0] in OUR_APPS}


def test_every_command_of_ours_has_the_shared_base_and_a_bad_input_case() -> None:
    commands = our_commands()
    assert {"replay_webhooks", "kb_ingest", "create_api_key", "demo_pipeline"} <= set(commands)
    for name, app in commands.items():
        assert isinstance(load_command_class(app, name), MylowareCommand), name
    assert set(commands) == {command for command, _, _ in BAD_INPUT}


@pytest.fixture
def demo_secrets(settings: Any) -> None:
    """The demo checks its providers' secrets first: give it some, so the project is judged."""
    providers = dict(settings.WEBHOOK_PROVIDERS)
    for slug in ("kieai", "shotstack"):
        providers[slug] = dataclasses.replace(providers[slug], secrets=("demo-secret",))
    settings.WEBHOOK_PROVIDERS = providers


@pytest.mark.django_db
@pytest.mark.parametrize(("command", "args", "says"), BAD_INPUT, ids=lambda value: str(value)[:40])
def test_bad_input_is_one_line_and_a_non_zero_exit(
    command: str, args: list[str], says: str, demo_secrets: None
) -> None:
    api_key_create(name="existing", scopes=["runs"])
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(command, *args, stdout=out, stderr=io.StringIO())
    message = str(raised.value)
    assert says in message and "\n" not in message and raised.value.returncode != 0
    assert out.getvalue() == ""
    # Nothing was prepared for a project that is not one: the check comes before any write.
    assert not Social.objects.exists() and not KbDocument.objects.exists()


def manage(*args: str, stderr: int = subprocess.PIPE) -> subprocess.Popen[bytes]:
    """``manage.py`` in its own process, on the test database (its socket and name)."""
    db = connection.settings_dict
    host = connection.get_connection_params()["host"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "myloware.settings_test",
        "DATABASE_URL": f"postgresql://{db['USER']}@/{db['NAME']}?host={host}",
    }
    return subprocess.Popen(  # noqa: S603
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=stderr,
    )  # fmt: skip


def finished(process: subprocess.Popen[bytes]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out.decode(), (err or b"").decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "code", "line"),
    [
        (
            ["replay_webhooks", "--id", "notauuid"],
            2,
            "manage.py replay_webhooks: error: argument --id: invalid UUID value: 'notauuid' "
            "(--help lists the options)",
        ),
        (
            ["kb_search", "hooks", "--project", "nosuch"],
            1,
            "CommandError: Unknown project 'nosuch': no knowledge-base document and no run names it",
        ),
    ],
)
def test_a_terminal_gets_the_one_line_and_no_traceback(args: list[str], code: int, line: str) -> None:
    returncode, out, err = finished(manage(*args))
    assert (returncode, out, err) == (code, "", line + "\n")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for number in range(25):
        (tmp_path / "kb" / f"note-{number:02}.md").parent.mkdir(exist_ok=True)
        (tmp_path / "kb" / f"note-{number:02}.md").write_text(
            f"# Note {number}\n\nHooks and pacing {number}.\n"
        )
    return tmp_path / "kb"


def read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the process closed the terminal's other end
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    """A real pseudo-terminal: (the end the command writes to, the end the test reads)."""
    reader, writer = os.openpty()
    yield writer, reader
    os.close(reader)


@pytest.mark.django_db(transaction=True)
def test_stdout_is_the_output_alone_and_progress_is_plain_without_a_terminal(folder: Path) -> None:
    returncode, out, err = finished(manage("kb_ingest", str(folder)))
    assert returncode == 0, err
    summary = "25 added, 0 updated, 0 unchanged, 0 removed (files); 25 chunks"
    assert out.splitlines() == [out.strip()] and out.startswith(summary)  # one line: the summary
    # The log line (an audit record) went to stderr, with the plain progress: a line per tenth.
    assert re.search(r"INFO knowledge\.services kb_ingest of .* by cli:\S+: " + re.escape(summary), err)
    progress = [line for line in err.splitlines() if line.startswith("ingest: ")]
    assert progress == [f"ingest: {done}/25 files" for done in (3, 5, 8, 10, 13, 15, 18, 20, 23, 25)]
    assert "\r" not in err


@pytest.mark.django_db(transaction=True)
def test_on_a_terminal_the_progress_bar_redraws_in_place(folder: Path, terminal: tuple[int, int]) -> None:
    writer, reader = terminal
    process = manage("kb_ingest", str(folder), stderr=writer)
    os.close(writer)
    shown = read_all(reader).decode()
    returncode, out, _ = finished(process)
    assert returncode == 0 and out.startswith("25 added")
    redraws = re.findall(r"\ringest: +\d+%\|[^\r\n]*\| (\d+)/25", shown)
    assert redraws and redraws[-1] == "25", shown
    assert "ingest: 3/25 files" not in shown and "\x1b[31" not in shown  # no plain lines, not red
