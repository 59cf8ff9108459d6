"""``make run``: the whole product on one machine, under supervisord.

Prepares once (one instance per data folder, development webhook secrets, migrations, schedules,
the operator login), then becomes supervisord (``os.execv``, keeping the instance lock), which runs
and restarts the processes of docs/architecture.md: the embedded PostgreSQL in the foreground,
gunicorn, the webhook loop, the django-q2 cluster, and ``myloware.supervision`` for what
supervisord does not do itself. Ctrl-C or SIGTERM stops them all, the database last.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shlex
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_WEBHOOK_PROVIDERS = ("KIEAI", "SHOTSTACK", "UPLOAD_POST")
# The web tier, the loop and the cluster stop together (one group), then the database: each
# within STOP_SECONDS, or it is killed with its whole process group.
STOP_SECONDS = 3
SUPERVISORD_CONF = """\
; Written by `make run` (myloware/run.py) at each start.
[supervisord]
nodaemon=true
logfile=/dev/null
logfile_maxbytes=0
pidfile={data_dir}/supervisord.pid
directory={base_dir}

[unix_http_server]
file={data_dir}/supervisor.sock
chmod=0700

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{data_dir}/supervisor.sock
{database}
[group:app]
programs=web,webhooks,tasks
priority=20

[program:web]
command={python} -m gunicorn myloware.wsgi:application --config python:myloware.gunicorn_conf
    --bind {host}:{port} --workers {web_workers} --access-logfile - --graceful-timeout {stop}
; gunicorn gives up on a port in use after 5 s: up 10 s or the start failed (5 times: FATAL).
startsecs=10
{common}
[program:webhooks]
command={python} manage.py process_webhooks
numprocs={webhook_loops}
process_name=%(program_name)s_%(process_num)s
{common}
[program:tasks]
command={python} manage.py qcluster
; django-q2 closes stale connections before each task; checked, a connection the database's
; restart broke is replaced instead of failing the next task.
environment=DB_CONN_HEALTH_CHECKS="1"
{common}
[eventlistener:watch]
command={python} -m myloware.supervision --health-url http://{health_host}:{port}/healthz
    --program app:tasks --parts {cluster_parts} --grace {grace}
events=PROCESS_STATE_EXITED,PROCESS_STATE_FATAL,TICK_5
priority=30
autorestart=true
stderr_logfile=/dev/stderr
stderr_logfile_maxbytes=0
"""
# Each program is the leader of its own process group, signalled whole on a stop; restarted
# whenever it exits. One whose start fails 5 times in a row is FATAL, and the listener stops
# everything. (A program that dies while still starting is reported without its pid: the
# cluster's start is the default second, after which its leftovers can be found and killed.)
COMMON = """\
autorestart=true
startretries=5
stopasgroup=true
killasgroup=true
stopwaitsecs={stop}
redirect_stderr=true
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
"""
# SIGINT is PostgreSQL's fast shutdown; it logs to its own file, as under pg_ctl.
DATABASE = """
[program:postgres]
command={command}
{user}priority=10
autorestart=true
startsecs=2
startretries=10
stopsignal=INT
stopwaitsecs={stop}
killasgroup=true
redirect_stderr=true
stdout_logfile={log}
"""


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myloware.settings")
    data_dir = Path(os.environ.get("MYLOWARE_DATA_DIR", str(BASE_DIR / "var"))).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = (data_dir / "run.lock").open("a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("MyloWare is already running for this data folder; stop it first (Ctrl-C).", file=sys.stderr)
        return 1
    _ensure_dev_secrets(data_dir / "dev.env")
    base_url = _record_address(data_dir / "address.env")
    print("MyloWare: preparing the database …", flush=True)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("setup_schedules", verbosity=0)
    _print_operator_login(data_dir)
    conf = data_dir / "supervisord.conf"
    conf.write_text(_supervisord_conf(data_dir))
    demo = f"{os.path.relpath(sys.executable)} manage.py demo_pipeline --project aismr"
    print(f"\nMyloWare: {base_url}/admin/ (API docs /api/docs/, health /healthz); Ctrl-C stops.")
    print(f"MyloWare: a demo run, from another shell here: {demo}\n", flush=True)
    os.environ["PYTHONUNBUFFERED"] = "1"
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_fresh_metrics_dir(data_dir))
    os.set_inheritable(lock.fileno(), True)  # supervisord keeps the instance lock
    os.execv(sys.executable, [sys.executable, "-m", "supervisor.supervisord", "-c", str(conf)])  # noqa: S606


def _supervisord_conf(data_dir: Path) -> str:
    """supervisord's configuration. The embedded database is handed over to it: the processes
    reach it by its socket (DATABASE_URL), so none of them starts a server of its own."""
    from django.conf import settings
    from django.db import connections

    from myloware.db import EMBEDDED_DB_NAME, embedded_server_to_foreground
    from myloware.health import CLUSTER_PARTS
    from myloware.workers.selectors import SCHEDULER_CYCLE_SECONDS

    database = ""
    datadir = settings.DATABASES["default"].get("EMBEDDED_DATADIR")
    if datadir:
        connections.close_all()
        server = embedded_server_to_foreground(Path(datadir))
        os.environ["DATABASE_URL"] = f"postgresql://postgres@/{EMBEDDED_DB_NAME}?host={server.socket_dir}"
        user = f"user={server.user}\n" if server.user else ""
        log = Path(datadir) / "log"
        database = DATABASE.format(command=shlex.join(server.command), user=user, stop=STOP_SECONDS, log=log)
    host = os.environ.get("HOST", "127.0.0.1")
    return SUPERVISORD_CONF.format(
        data_dir=data_dir,
        base_dir=BASE_DIR,
        database=database,
        python=sys.executable,
        host=host,
        health_host="127.0.0.1" if host in ("0.0.0.0", "") else host,  # noqa: S104 - a comparison
        port=os.environ.get("PORT", "8000"),
        web_workers=os.environ.get("WEB_CONCURRENCY", "2"),
        webhook_loops=os.environ.get("WEBHOOK_LOOPS", "2"),
        stop=STOP_SECONDS,
        common=COMMON.format(stop=STOP_SECONDS),
        cluster_parts=",".join(CLUSTER_PARTS),
        # A new cluster's scheduler first runs after one cycle; then it has HEALTH_MAX_LAG to show work.
        grace=settings.HEALTH_MAX_LAG + SCHEDULER_CYCLE_SECONDS,
    )


def _fresh_metrics_dir(data_dir: Path) -> Path:
    """Where every program keeps its counters for /metrics (prometheus_client's multiprocess
    mode), emptied: the files of a previous run's processes would be summed with this run's
    (Prometheus sees a restart's counters start again from 0, as with any restart)."""
    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or data_dir / "metrics")
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    return folder


def _ensure_dev_secrets(path: Path) -> None:
    """In development, random secrets for the built-in webhook providers, once (``var/dev.env``,
    read by the settings when DEBUG is on: the web tier, the loop and the demo agree). Exported
    variables win; production (DEBUG off) never reads the file."""
    from myloware.lib.env import env_bool

    if not env_bool("DEBUG", True) or path.exists():
        return
    lines = [f"WEBHOOK_SECRET_{name}={secrets.token_urlsafe(32)}" for name in DEV_WEBHOOK_PROVIDERS]
    path.write_text("# Generated by `make run` for local development only.\n" + "\n".join(lines) + "\n")
    path.chmod(0o600)
    print(f"MyloWare: generated development webhook secrets in {path}", flush=True)


def _record_address(path: Path) -> str:
    """Where this server is reached, recorded for the other local processes (read by the settings
    when DEBUG is on, like ``dev.env``): ``manage.py demo_pipeline`` started from another shell
    posts its callbacks there whatever HOST and PORT this start was given. Written before the
    settings load, so they never read an earlier start's address."""
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
    reachable = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - a comparison
    base_url = os.environ.get("LANGGRAPH_DEMO_BASE_URL") or f"http://{reachable}:{port}"
    path.write_text(f"# Written by `make run` at each start.\nLANGGRAPH_DEMO_BASE_URL={base_url}\n")
    return base_url.rstrip("/")


def _print_operator_login(data_dir: Path) -> None:
    from myloware.api.operators import operator_superuser_ensure

    password_file = data_dir / "operator-password.txt"
    password = operator_superuser_ensure(username="operator", password_file=password_file)
    if password:
        print(f"MyloWare: created the operator login — user 'operator', password {password}", flush=True)
        print(f"          (saved in {password_file}; it is not printed again)", flush=True)
    else:
        print(f"MyloWare: operator login — user 'operator', password in {password_file}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
