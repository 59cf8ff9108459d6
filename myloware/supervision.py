"""``make run``'s supervisord event listener: what supervisord does not do by itself.

- **Leftovers of a program that exited.** supervisord signals a program's whole process group
  only when it stops the program itself (Supervisor/supervisor#1101). When one dies on its own,
  the rest of its group runs on: django-q2's sentinel and workers beside the replacement of a
  killed ``qcluster``, gunicorn's workers without their master, PostgreSQL backends without
  their postmaster. On PROCESS_STATE_EXITED the group is killed (supervisord starts every
  program as the leader of a group of its own: the group id is the program's pid).
- **A cluster that stalls while every process lives** (django-q2 #23/#339: a worker killed while
  waiting for a task holds the task queue's lock, every other worker waits forever). supervisord
  sees nothing. On TICK_5 the listener asks ``/healthz`` which parts failed; when one of the
  cluster's (``--parts``: a schedule late, queued tasks none finishes) has, and the cluster has
  run longer than ``--grace`` seconds (the same bound, HEALTH_MAX_LAG), it restarts the cluster.
- **A program that cannot start** (a port in use, a broken configuration) goes FATAL after its
  retries: everything stops, with its name in the log, instead of running without it.

Its stdout is supervisord's protocol channel; it writes its log to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import urllib.error
import urllib.request
from typing import Any

from supervisor import childutils


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--health-url", required=True)
    parser.add_argument("--program", required=True, help="the django-q2 cluster's name in supervisord")
    parser.add_argument(
        "--parts", required=True, help="the /healthz parts whose failure means a stalled cluster"
    )
    parser.add_argument("--grace", type=float, required=True, help="seconds a new cluster has to show work")
    options = parser.parse_args(argv)
    rpc = childutils.getRPCInterface(os.environ)
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        event = headers["eventname"]
        if event == "PROCESS_STATE_EXITED":
            _kill_group(int(childutils.get_headers(payload)["pid"]))
        elif event == "PROCESS_STATE_FATAL":
            _log(f"{childutils.get_headers(payload)['processname']} cannot start; stopping everything")
            rpc.supervisor.shutdown()
        elif event.startswith("TICK") and set(options.parts.split(",")) & _failing(options.health_url):
            _restart_if_past_grace(rpc, options.program, options.grace)
        childutils.listener.ok(sys.stdout)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # nothing was left
        os.killpg(pid, signal.SIGKILL)


def _failing(url: str) -> set[str]:
    """The parts /healthz names as failing; none when it cannot be asked (the web tier restarts)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own http URL
            body = response.read()
    except urllib.error.HTTPError as error:  # a 503 names the parts
        body = error.read()
    except (OSError, ValueError):
        return set()
    with contextlib.suppress(ValueError, AttributeError):
        return set(json.loads(body).get("failing", []))
    return set()


def _restart_if_past_grace(rpc: Any, program: str, grace: float) -> None:
    info = rpc.supervisor.getProcessInfo(program)
    if info["statename"] == "RUNNING" and info["now"] - info["start"] > grace:
        _log(f"{program} shows no work for more than {grace:.0f} s (a stalled cluster); restarting it")
        rpc.supervisor.stopProcess(program)  # waits for the stop (at most its stopwaitsecs)
        rpc.supervisor.startProcess(program, False)  # does not wait: other events keep coming


def _log(message: str) -> None:
    print(f"myloware.supervision: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
