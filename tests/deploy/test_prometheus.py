"""The shipped alert rules and dashboard: promtool checks the rules and runs their unit tests
(deploy/prometheus/alerts_test.yml, a firing and a quiet case per alert), and every series they
and the Grafana dashboard query is one a real scrape exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

DEPLOY = Path(settings.BASE_DIR) / "deploy"
RULES = DEPLOY / "prometheus" / "alerts.yml"
RULE_TESTS = DEPLOY / "prometheus" / "alerts_test.yml"
DASHBOARD = DEPLOY / "grafana" / "myloware.json"
SERIES = re.compile(r"\b((?:myloware|django)_[a-z_]+)\b")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    assert binary, "promtool (Debian's prometheus package) is needed: .ci/run installs it"
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60, check=False)  # noqa: S603


def test_the_alert_rules_are_valid() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_alert_fires_and_stays_quiet_as_its_unit_tests_say() -> None:
    tested = promtool("test", "rules", str(RULE_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    alerts = {
        rule["alert"] for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]
    }
    cases = [
        case for test in yaml.safe_load(RULE_TESTS.read_text())["tests"] for case in test["alert_rule_test"]
    ]
    fired = {case["alertname"] for case in cases if case["exp_alerts"]}
    quiet = {case["alertname"] for case in cases if not case["exp_alerts"]}
    assert fired == alerts and quiet == alerts


def _queried(expressions: list[str]) -> set[str]:
    names = {name for expr in expressions for name in SERIES.findall(expr)}
    return {re.sub(r"_(bucket|count|sum)$", "", name) for name in names}


@pytest.mark.django_db
def test_the_rules_and_the_dashboard_query_series_a_scrape_exports(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = "deploy-test-token-0123456789"
    client.get("/healthz")  # an answer for django-prometheus to count
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}").content.decode()
    exported = {family.name for family in text_string_to_metric_families(text)}
    exported |= {f"{name}_total" for name in exported}  # counters are exported as <name>_total
    rules = [rule["expr"] for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]
    panels = json.loads(DASHBOARD.read_text())["panels"]
    dashboard = [target["expr"] for panel in panels for target in panel["targets"]]
    assert _queried(rules + dashboard) <= exported, _queried(rules + dashboard) - exported
    assert {"myloware_webhook_deliveries_total", "myloware_retention_removed_total"} <= _queried(dashboard)
