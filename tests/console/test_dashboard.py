"""The operations dashboard: SVG charts drawn from indexed counts, each linking to its list."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from artifacts.services import artifact_create
from runs.models import RunStatus
from runs.services import gate_decide, gate_open, run_create, run_transition
from tests.webhooks.conftest import deliver, fixture_bytes, sign_standard

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_day(client: Client, test_handler: Any) -> None:
    """Runs in several statuses, a decided and an open gate, webhook traffic and a DLQ entry."""
    for status in (RunStatus.RUNNING, RunStatus.PUBLISHED, RunStatus.FAILED):
        run = run_create(project="aismr", actor="api:o")
        run_transition(run_id=run.run_id, to=RunStatus.RUNNING, actor="t")
        if status != RunStatus.RUNNING:
            run_transition(run_id=run.run_id, to=status, actor="t")
    waiting = run_create(project="aismr", actor="api:o")
    run_transition(run_id=waiting.run_id, to=RunStatus.RUNNING, actor="t")
    artifact_create(run_id=waiting.run_id, type="idea", metadata={"text": "x"})
    gate_open(run_id=waiting.run_id, gate="ideate", actor="api:o")
    gate_decide(run_id=waiting.run_id, gate="ideate", decision="approve", actor="admin:x")
    gate_open(run_id=waiting.run_id, gate="prepublish", actor="api:o")

    def explode(event: Any) -> Any:
        raise RuntimeError("boom")

    test_handler("acme", explode)
    body = fixture_bytes("standard_event")
    deliver(client, "acme", body, headers=sign_standard(body))  # fails: a DLQ entry
    deliver(client, "acme", body.replace(b"{", b'{"x":1,', 1), headers={"webhook-signature": "v1,AAAA"})


def test_the_dashboard_draws_every_chart_with_links_to_filtered_lists(
    operator_client: Client, busy_day: None
) -> None:
    html = operator_client.get(reverse("admin:index")).content.decode()
    for chart in ("chart-runs", "chart-dlq", "chart-gates", "chart-publish", "chart-deliveries-acme"):
        assert f'id="{chart}"' in html, chart
    assert html.count("<svg viewBox") >= 5
    assert '<span class="kpi" id="dlq-depth">1</span> entry' in html
    assert (
        '<span class="delivery-failed error-text">1 failed</span> · '
        '<span class="delivery-rejected error-text">1 rejected</span>'
    ) in html
    links = sorted({unescape(link) for link in re.findall(r'<a href="(/admin/[^"]+\?[^"]+)"', html)})
    assert any("status__exact=published" in link and "created_at__gte" in link for link in links)
    assert any("status__exact=rejected" in link and "provider=acme" in link for link in links)
    assert any("state=dead" in link or "state=due" in link or "state=waiting" in link for link in links)
    assert any("gate__exact=prepublish" in link for link in links)
    for link in links:
        # The admin answers an unknown filter with a redirect to ?e=1: every link must be a real filter.
        response = operator_client.get(link)
        assert response.status_code == 200, link


def test_a_failed_bar_lists_exactly_the_failed_deliveries(operator_client: Client, busy_day: None) -> None:
    html = operator_client.get(reverse("admin:index")).content.decode()
    failed = next(
        unescape(link)
        for link in re.findall(r'<a href="(/admin/webhooks/webhookevent/\?[^"]+)"><rect', html)
        if "status__exact=failed" in unescape(link)
    )
    listing = operator_client.get(failed).content.decode()
    assert "1 webhook event" in listing or "1 result" in listing


def test_gate_waiting_and_time_to_publish_statistics(busy_day: None) -> None:
    from django.utils import timezone

    from runs.selectors import gate_wait_stats, time_to_publish

    stats = gate_wait_stats(now=timezone.now())
    assert stats["ideate"]["count"] == 1 and stats["prepublish"]["count"] == 1
    assert 0 <= stats["ideate"]["median"] <= stats["ideate"]["p90"]
    (published,) = time_to_publish(now=timezone.now())
    assert (published["project"], published["count"]) == ("aismr", 1)
