"""``make run``: the whole product on one machine.

Starts (or attaches to) the embedded PostgreSQL, migrates, declares the periodic jobs, makes sure
an operator login exists, then serves the web app with gunicorn beside a django-q2 cluster.
Ctrl-C or SIGTERM stops the children and the embedded database cleanly. A second ``make run``
while one is running says so and exits instead of fighting over the port and the data folder.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

BASE_DIR = Path(__file__).resolve().parent.parent
GRACE_SECONDS = 15


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myloware.settings")
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
    data_dir = Path(os.environ.get("MYLOWARE_DATA_DIR", str(BASE_DIR / "var")))
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = _single_instance_lock(data_dir / "run.lock")
    if lock is None:
        return 1
    started = time.monotonic()
    print("MyloWare: preparing the database …", flush=True)
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("setup_schedules", verbosity=0)
    _print_operator_login(data_dir)
    children = _start_children(host, port)
    _print_banner(host, port, time.monotonic() - started)
    code = _supervise(children)
    if not os.environ.get("DATABASE_URL"):
        from myloware.db import stop_embedded_server

        stop_embedded_server(Path(settings.DATA_DIR) / "pgdata")
        print("MyloWare: embedded PostgreSQL stopped.", flush=True)
    return code


def _single_instance_lock(path: Path) -> IO[str] | None:
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid = handle.read().strip() or "?"
        print(
            f"MyloWare is already running (pid {pid}); stop it first (Ctrl-C in its terminal).",
            file=sys.stderr,
        )
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _print_operator_login(data_dir: Path) -> None:
    from myloware.api.operators import operator_superuser_ensure

    password_file = data_dir / "operator-password.txt"
    password = operator_superuser_ensure(username="operator", password_file=password_file)
    if password:
        print(f"MyloWare: created the operator login — user 'operator', password {password}", flush=True)
        print(f"          (saved in {password_file}; it is not printed again)", flush=True)
    else:
        print(f"MyloWare: operator login — user 'operator', password in {password_file}", flush=True)


def _start_children(host: str, port: str) -> dict[str, subprocess.Popen[bytes]]:
    python = sys.executable
    gunicorn = [
        python, "-m", "gunicorn", "myloware.wsgi:application",
        "--bind", f"{host}:{port}",
        "--workers", os.environ.get("WEB_CONCURRENCY", "2"),
        "--access-logfile", "-",
        "--graceful-timeout", "10",
    ]  # fmt: skip
    qcluster = [python, str(BASE_DIR / "manage.py"), "qcluster"]
    # Own process groups: Ctrl-C reaches us once and we stop the children in order.
    return {
        "web": subprocess.Popen(gunicorn, cwd=BASE_DIR, start_new_session=True),  # noqa: S603
        "qcluster": subprocess.Popen(qcluster, cwd=BASE_DIR, start_new_session=True),  # noqa: S603
    }


def _print_banner(host: str, port: str, seconds: float) -> None:
    base = f"http://{host}:{port}"
    print(
        f"\nMyloWare is up in {seconds:.1f} s:\n"
        f"  admin console   {base}/admin/\n"
        f"  API docs        {base}/api/docs/\n"
        f"  health          {base}/healthz\n"
        "  API key         .venv/bin/python manage.py create_api_key my-script\n"
        "  demo pipeline   .venv/bin/python manage.py demo_pipeline --project aismr   (then approve its gates "
        "in the admin: Pending approvals)\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )


def _supervise(children: dict[str, subprocess.Popen[bytes]]) -> int:
    stop = {"requested": False}

    def request_stop(signum: int, frame: object) -> None:
        stop["requested"] = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    code = 0
    while not stop["requested"]:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"MyloWare: {name} exited with status {child.returncode}; stopping.", file=sys.stderr)
                stop["requested"], code = True, 1
        time.sleep(0.5)
    print("\nMyloWare: stopping …", flush=True)
    for child in children.values():
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    return code


if __name__ == "__main__":
    sys.exit(main())
