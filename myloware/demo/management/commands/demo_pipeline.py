"""``manage.py demo_pipeline [--project aismr] [--auto-approve]``: run the LangGraph demo pipeline.

Starts a run whose graph (iggy → ideate gate → riley → alex → prepublish gate → quinn) stops at
the ideate gate, in the operators' approvals queue. An approval in the admin resumes it (a
django-q2 task, so ``make run``'s qcluster must be up). ``--auto-approve`` approves both gates
itself, through the same gate service an operator's click uses, and waits for the end.
"""

from __future__ import annotations

import argparse
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from myloware.demo.pipeline import PipelineError, provider_secret
from myloware.demo.services import pipeline_prepare, pipeline_start
from myloware.lib.commands import MylowareCommand, positive_seconds
from runs.models import TERMINAL_STATUSES, Gate, GateRequest, GateStatus, HitlDecision, Run, RunStatus
from runs.services import gate_decide

ACTOR = "command:demo_pipeline"
APPROVER = "demo:auto-approve"


def http_url(text: str) -> str:
    """An argument type: an http(s) URL with a host (where the provider callbacks are posted)."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) URL such as http://127.0.0.1:8000")
    return text


class Command(MylowareCommand):
    help = "Start a run of the LangGraph demo pipeline (deterministic personas, real services)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", default="aismr")
        parser.add_argument("--topic", default="soap cutting")
        parser.add_argument(
            "--auto-approve", action="store_true", help="approve both gates and wait for the end"
        )
        parser.add_argument(
            "--base-url",
            type=http_url,
            default=None,
            help=f"where this server is reachable (default LANGGRAPH_DEMO_BASE_URL, {settings.LANGGRAPH_DEMO_BASE_URL})",
        )
        parser.add_argument(
            "--timeout",
            type=positive_seconds,
            default=120.0,
            help="seconds to wait per stage with --auto-approve",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_PIPELINE_ENABLED:
            # Its approvals would resume nothing: the gate-decided hook is not registered.
            raise CommandError(
                "The demo pipeline is off: set DEMO_PIPELINE_ENABLED=1 (on by default with DEBUG)"
            )
        base_url = (options["base_url"] or settings.LANGGRAPH_DEMO_BASE_URL).rstrip("/")
        project = options["project"]
        # Fail now, not after the first approval when riley signs its callback.
        try:
            provider_secret("kieai"), provider_secret("shotstack")
        except PipelineError as exc:
            raise CommandError(str(exc)) from exc
        for line in pipeline_prepare(project=project, actor=ACTOR):
            self.stdout.write(line)
        run = pipeline_start(project=project, actor=ACTOR, base_url=base_url, topic=options["topic"])
        self.stdout.write(f"Started run {run.run_id} ({project}): {run.status}")
        if not options["auto_approve"]:
            self.stdout.write(
                f"It waits in the approvals queue: {base_url}/admin/runs/pendingapproval/\n"
                "Approve the ideate gate there, then the prepublish gate; watch the run at "
                f"{base_url}/admin/runs/run/{run.run_id}/change/"
            )
            return
        for gate in (Gate.IDEATE, Gate.PREPUBLISH):
            if not self._approve(run.run_id, gate, options["timeout"]):
                break
        run = self._wait_terminal(run.run_id, options["timeout"])
        self.stdout.write(f"Run {run.run_id} ended {run.status}: {self._summary(run)}")
        if run.status != RunStatus.PUBLISHED:
            raise CommandError(f"Run {run.run_id} ended {run.status}")

    def _approve(self, run_id: str, gate: str, timeout: float) -> bool:
        """Wait for ``gate`` to open, then approve it as an operator would; False if the run ended."""
        deadline = time.monotonic() + timeout
        while True:
            gate_request = GateRequest.objects.filter(
                run_id=run_id, gate=gate, status=GateStatus.OPEN
            ).first()
            if gate_request is not None:
                break
            run = Run.objects.get(run_id=run_id)
            if run.status in TERMINAL_STATUSES:
                return False
            if time.monotonic() > deadline:
                raise CommandError(
                    f"Run {run_id} did not reach the {gate} gate within {timeout:.0f}s (it is {run.status}); "
                    "is the qcluster running? (make run starts it)"
                )
            time.sleep(0.2)
        gate_decide(
            run_id=run_id,
            gate=gate,
            decision=HitlDecision.APPROVE,
            actor=APPROVER,
            comment="auto-approved by the demo",
        )
        self.stdout.write(f"Approved the {gate} gate as {APPROVER}")
        return True

    def _wait_terminal(self, run_id: str, timeout: float) -> Run:
        deadline = time.monotonic() + timeout
        while True:
            run = Run.objects.get(run_id=run_id)
            if run.status in TERMINAL_STATUSES or time.monotonic() > deadline:
                return run
            time.sleep(0.2)

    def _summary(self, run: Run) -> str:
        result = run.result or {}
        return ", ".join(
            f"{key}={value}"
            for key, value in (("render", result.get("renderUrl")), ("published", result.get("publishUrls")))
        )
