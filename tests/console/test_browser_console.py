"""Every console flow in a real headless Chromium, a screenshot of each page in var/screenshots/."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group, User
from django.db import transaction

from artifacts.services import artifact_create
from knowledge.services import kb_document_upsert
from myloware.api.operators import OPERATORS_GROUP
from myloware.demo.services import pipeline_prepare, pipeline_start
from runs.models import GateRequest, GateStatus, HitlApproval, Run, RunStatus
from runs.services import gate_decide, gate_open, run_create, run_transition
from socials.services import project_social_link, social_create
from tests.demo.conftest import demo_settings
from tests.webhooks.conftest import fixture_bytes, process_waiting, sign_kieai, sign_standard
from webhooks.handlers import processed
from webhooks.models import WebhookDLQ, WebhookEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "opal-pass-123"


@pytest.fixture
def opal(settings: Any) -> User:
    settings.CONSOLE_REFRESH_SECONDS = 1  # the badge and the queue poll every second here
    user = User.objects.create_user("opal", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=OPERATORS_GROUP))
    return user


def running_run(project: str = "aismr") -> Run:
    run = run_create(project=project, actor="api:orchestrator")
    return run_transition(run_id=run.run_id, to=RunStatus.RUNNING, actor="api:orchestrator")


def ideate_gate(project: str = "aismr", text: str = "Soap cutting, one take") -> GateRequest:
    run = running_run(project)
    idea, _ = artifact_create(run_id=run.run_id, type="idea", persona="iggy", metadata={"text": text})
    gate_request, _ = gate_open(
        run_id=run.run_id, gate="ideate", actor="api:orchestrator", artifact_ids=[str(idea.id)]
    )
    return gate_request


def prepublish_gate(base_url: str, clip: str = "clip.webm", render: str = "final.webm") -> GateRequest:
    """A run through its ideate gate, with the demo's real videos under review at prepublish."""
    gate = ideate_gate(text="Slow close-up of soap cutting, no music")
    gate_decide(run_id=gate.run_id, gate="ideate", decision="approve", actor="admin:ann")
    ids = [
        str(
            artifact_create(
                run_id=gate.run_id, type="clip", persona="riley", url=f"{base_url}/static/demo/{clip}"
            )[0].id
        ),
        str(
            artifact_create(
                run_id=gate.run_id, type="render.url", persona="alex", url=f"{base_url}/static/demo/{render}"
            )[0].id
        ),
    ]
    gate_request, _ = gate_open(
        run_id=gate.run_id, gate="prepublish", actor="api:orchestrator", artifact_ids=ids
    )
    return gate_request


def inside(console: Any, inner: Any, outer: Any) -> bool:
    """The element ``inner`` lies within the horizontal bounds of ``outer``."""
    return bool(
        console.driver.execute_script(
            "var i = arguments[0].getBoundingClientRect(), o = arguments[1].getBoundingClientRect();"
            "return i.left >= o.left - 0.5 && i.right <= o.right + 0.5;",
            inner,
            outer,
        )
    )


def style(console: Any, element: Any, prop: str) -> str:
    return str(
        console.driver.execute_script("return getComputedStyle(arguments[0])[arguments[1]]", element, prop)
    )


def test_the_approval_desk_refreshes_itself_and_decides_in_bulk(console: Any, opal: User) -> None:
    from selenium.webdriver.support.ui import Select

    first = ideate_gate()
    console.login("opal", PASSWORD)
    console.visit("/admin/", "index")
    assert console.find("#approvals-count").text == "1"

    console.visit("/admin/runs/pendingapproval/", "queue")
    rows = console.driver.find_elements("css selector", "#result_list tbody tr")
    assert len(rows) == 1 and first.run_id in rows[0].text and "1 idea" in rows[0].text
    # A gate opens elsewhere: the queue reloads itself and shows it.
    with console.reloads():
        second = ideate_gate(project="asmr-2")
    assert second.run_id in console.find("#result_list").text
    assert console.find("#approvals-count").text == "2"
    console.shot("queue-refreshed")

    console.find("#action-toggle").click()  # select all rows
    Select(console.find("select[name=action]")).select_by_value("approve_selected")
    console.find("button[name=index]").click()
    console.find("ul.messagelist li.success")
    assert "Approved 2 gates." in console.driver.page_source
    console.shot("bulk-approved")
    assert set(GateRequest.objects.values_list("status", flat=True)) == {GateStatus.APPROVED}

    # Two gates open together (one commit, so one reload shows both).
    with console.reloads(), transaction.atomic():
        third, fourth = ideate_gate(), ideate_gate()
    console.shot("queue-again")
    console.find("#action-toggle").click()
    Select(console.find("select[name=action]")).select_by_value("reject_selected")
    console.find("button[name=index]").click()
    comment = console.find("#id_bulk_comment")
    console.shot("bulk-reject-asks-one-comment")
    assert comment.get_attribute("required") is not None
    assert console.find("h1").text == "Reject 2 gates?"
    assert console.find("#bulk-reject-button").get_attribute("value") == "Reject 2 gates"
    comment.send_keys("Off-brand for this week")
    console.find("#bulk-reject-button").click()
    console.find("ul.messagelist li.success")
    console.shot("bulk-rejected")
    for gate in (third, fourth):
        gate.refresh_from_db()
        assert gate.status == GateStatus.REJECTED and gate.decision_comment == "Off-brand for this week"
    assert console.find("#approvals-count").text == "0"


def test_the_prepublish_decision_page_plays_the_media_and_requires_a_reject_comment(
    console: Any, opal: User, live_server: Any
) -> None:
    social = social_create(
        provider="tiktok",
        account_id="aismr-official",
        actor="test",
        default_caption="Satisfying soap #asmr",
        default_tags=["asmr", "soap"],
        privacy="public",
    )
    project_social_link(project="aismr", social_id=social.pk, actor="test", is_primary=True)
    gate_request = prepublish_gate(live_server.url)
    console.login("opal", PASSWORD)
    console.visit(f"/admin/runs/pendingapproval/{gate_request.pk}/change/", "prepublish-decision")

    # Where the video goes, and the idea chosen at ideate.
    assert console.find("#publish-account").text == "tiktok:aismr-official"
    assert console.find("#publish-caption").text == "Satisfying soap #asmr"
    assert console.find("#publish-tags").text.split() == ["asmr", "soap"]
    assert console.find("#publish-privacy").text == "public"
    assert console.find("#chosen-idea").text == "Slow close-up of soap cutting, no music"
    # Both players reach a playable state, and actually play.
    videos = console.driver.find_elements("css selector", ".under-review video")
    assert len(videos) == 2
    for video in videos:
        console.wait.until(lambda d, v=video: d.execute_script("return arguments[0].readyState", v) >= 3)
        assert console.driver.execute_script("return arguments[0].duration", video) > 1
        console.driver.execute_script("arguments[0].play()", video)
        console.wait.until(lambda d, v=video: d.execute_script("return arguments[0].currentTime", v) > 0.2)
    # Not merely hidden in the markup: not shown (the admin's own CSS once beat the attribute).
    assert not console.find("#media-error").is_displayed()
    console.shot("media-playing")

    # Reject without a comment: the error appears where the comment goes; nothing is recorded.
    here = console.driver.current_url
    console.find("#reject-button").click()
    error = console.find("#decision-error")
    console.wait.until(lambda d: error.is_displayed())
    assert "needs a comment" in error.text and console.driver.current_url == here
    assert console.driver.switch_to.active_element.get_attribute("id") == "id_comment"
    console.shot("reject-needs-comment")
    errors = console.driver.execute_script(
        "return Array.from(document.querySelectorAll('video')).map(v => v.error && v.error.message)"
    )
    assert errors == [None, None] and not console.find("#media-error").is_displayed()
    assert not HitlApproval.objects.filter(gate="prepublish").exists()

    # The keyboard: "a" approves (the primary action).
    console.find("body").click()
    console.driver.find_element("tag name", "body").send_keys("a")
    console.find("ul.messagelist li.success")
    console.shot("approved-by-keyboard")
    gate_request.refresh_from_db()
    assert gate_request.status == GateStatus.APPROVED and gate_request.decided_by == "admin:opal"


def test_the_demo_runs_ideas_are_reviewed_and_the_chosen_one_reaches_prepublish(
    console: Any, opal: User, live_server: Any, webhook_loop: None
) -> None:
    """The demo's ideate gate as an operator meets it: three ideas and the citations they came
    from, each in its card; the operator goes ahead with the third idea, and the prepublish page
    shows that idea alone."""
    from selenium.webdriver.common.by import By

    with demo_settings(live_server.url):
        pipeline_prepare(project="aismr", actor="test")
        run = pipeline_start(project="aismr", actor="test", base_url=live_server.url)
        ideate = GateRequest.objects.get(run_id=run.run_id, gate="ideate")
        console.login("opal", PASSWORD)
        console.visit("/admin/runs/pendingapproval/", "ideate-queue")
        assert "3 ideas, 1 citation list" in console.find("#result_list tbody tr").text

        console.visit(f"/admin/runs/pendingapproval/{ideate.pk}/change/", "ideate-decision")
        assert not console.overflows_horizontally()
        citations = console.find(".artifact-kind-citations")
        assert inside(console, citations.find_element(By.TAG_NAME, "table"), citations)
        assert inside(console, citations, console.find(".under-review"))
        choices = console.driver.find_elements(By.CSS_SELECTOR, "input[name=chosen_idea_id]")
        assert len(choices) == 3 and [c.is_selected() for c in choices] == [True, False, False]
        card = "ancestor::div[contains(concat(' ', @class, ' '), ' artifact ')][1]"
        third = choices[2].find_element(By.XPATH, card)
        third_text = third.find_element(By.CSS_SELECTOR, ".artifact-text .pre-wrap").text
        choices[2].click()
        console.shot("third-idea-chosen")
        console.find("#approve-button").click()
        message = console.find("ul.messagelist li.success").text
        assert message == (
            f"Your approval of the ideate gate of {run.run_id} is recorded; the gate is approved."
        )
        console.shot("ideate-approved")

        prepublish = console.wait.until(
            lambda d: GateRequest.objects.filter(run_id=run.run_id, gate="prepublish").first()
        )
        console.visit(f"/admin/runs/pendingapproval/{prepublish.pk}/change/", "prepublish-chosen-idea")
        shown = console.driver.find_elements(By.CSS_SELECTOR, "#prepublish-summary blockquote")
        assert [quote.text for quote in shown] == [third_text]
        # Read as body text, not the admin's small grey blockquote.
        assert style(console, shown[0], "color") == style(console, console.find("#content-main p"), "color")


def test_a_media_file_that_fails_to_load_is_flagged(console: Any, opal: User, live_server: Any) -> None:
    gate_request = prepublish_gate(live_server.url, clip="missing.webm")
    console.login("opal", PASSWORD)
    console.visit(f"/admin/runs/pendingapproval/{gate_request.pk}/change/", "media-missing")
    warning = console.find("#media-error")
    console.wait.until(lambda d: warning.is_displayed())
    assert "missing.webm" in warning.text
    assert console.driver.find_elements("css selector", ".artifact.media-failed")
    console.shot("media-missing-flagged")


def test_the_run_page_tells_the_story(console: Any, opal: User, live_server: Any) -> None:
    gate_request = prepublish_gate(live_server.url)
    console.login("opal", PASSWORD)
    console.visit(f"/admin/runs/run/{quote(gate_request.run_id)}/change/", "run-story")
    assert console.find("h1").text == f"Run {gate_request.run_id}"
    assert not console.driver.find_elements("css selector", "input[name=_save], input[name=_continue]")
    stages = [
        el.text.split("\n")[:2] for el in console.driver.find_elements("css selector", "#stage-strip .stage")
    ]
    assert stages[:5] == [
        ["iggy", "done"],
        ["ideate", "done"],
        ["riley", "done"],
        ["alex", "done"],
        ["prepublish", "current"],
    ]
    timeline = console.find("#run-timeline").location["y"]
    assert timeline < console.find("#run-data").location["y"]
    console.find("#run-timeline a[href*='/admin/artifacts/artifact/']").click()
    console.find("#content h1")
    console.shot("artifact-from-timeline")


def _post(live_server: Any, provider: str, body: bytes, headers: dict[str, str], query: str = "") -> None:
    response = httpx.post(
        f"{live_server.url}/api/v1/webhooks/{provider}?{query}",
        content=body,
        headers={"Content-Type": "application/json", **headers},
    )
    assert response.status_code in (200, 401), response.text


def test_webhooks_and_dlq_pages_for_debugging(
    console: Any, opal: User, live_server: Any, test_handler: Any
) -> None:
    state = {"fail": True}

    def flaky(event: WebhookEvent) -> Any:
        if state["fail"]:
            raise RuntimeError("upstream exploded while fetching " + "https://cdn.example.com/" + "x" * 150)
        return processed()

    test_handler("acme", flaky)
    # Callbacks may name a run: one that exists, one that never did, or none.
    existing = running_run().run_id
    for i, run_id in enumerate((existing, "run_doesnotexist", None)):
        # Long, unbreakable keys: the lists must still fit 1400 px.
        body = json.dumps({"type": "order.created", "n": i, "id": "k" * 90 + str(i)}).encode()
        query = f"run_id={run_id}" if run_id else ""
        _post(live_server, "acme", body, sign_standard(body, msg_id="msg_" + "m" * 80 + str(i)), query)
    kie = fixture_bytes("kieai_success")
    _post(live_server, "kieai", kie, sign_kieai(kie, timestamp=int(time.time()) - 900), "run_id=run_x")
    process_waiting()  # what the webhook loop does next
    console.login("opal", PASSWORD)

    console.visit("/admin/webhooks/webhookevent/", "events")
    assert not console.overflows_horizontally()
    runs_column = console.driver.find_elements("css selector", "#result_list td.field-run")
    assert sorted(cell.text for cell in runs_column) == sorted([existing, "run_doesnotexist", "—", "—"])
    links = console.driver.find_elements("css selector", "#result_list td.field-run a")
    assert [link.text for link in links] == [existing]  # the run that does not exist is plain text
    links[0].click()
    assert console.find("h1").text == f"Run {existing}"
    console.shot("run-from-events")

    stale = WebhookEvent.objects.get(provider="kieai")
    console.visit(f"/admin/webhooks/webhookevent/{stale.pk}/change/", "event-stale-signature")
    assert "s before the moment it was received" in console.find(".signature-explained").text
    disabled = console.find("#reprocess-button")
    assert disabled.get_attribute("disabled") is not None
    # It looks disabled: grey, no pointer, and says why.
    assert style(console, disabled, "cursor") == "not-allowed"
    assert style(console, disabled, "background-color") != "rgb(26, 127, 55)"  # the live button's green
    assert console.find("#reprocess-disabled-reason").text == "Unauthenticated events are never processed."

    console.visit("/admin/webhooks/webhookdlq/", "dlq")
    assert not console.overflows_horizontally()
    entry = WebhookDLQ.objects.order_by("created_at").first()
    console.visit(f"/admin/webhooks/webhookdlq/{entry.pk}/change/", "dlq-entry")
    assert "bytes · UTF-8 text · SHA-256" in console.find(".raw-body-meta").text
    state["fail"] = False
    console.find("#replay-button").click()
    console.find("ul.messagelist li.success")
    console.shot("dlq-replayed")
    assert not WebhookDLQ.objects.filter(pk=entry.pk).exists()

    event = WebhookEvent.objects.filter(provider="acme").first()
    console.visit(f"/admin/webhooks/webhookevent/{event.pk}/change/", "event")
    live = console.find("#reprocess-button")
    assert style(console, live, "cursor") == "pointer"
    assert style(console, live, "background-color") == "rgb(26, 127, 55)"
    live.click()
    console.find("ul.messagelist li.success")
    console.shot("event-reprocessed")

    console.visit("/admin/webhooks/webhookevent/test-delivery/", "test-delivery")
    console.find("#send-test-acme").click()
    message = console.find("ul.messagelist li")
    console.shot("test-delivery-sent")
    assert "Test delivery to acme: HTTP 200 accepted" in message.text
    message.find_element("link text", "open the stored event").click()
    console.find(".signature-explained")
    console.shot("test-delivery-event")


def test_knowledge_search_page(console: Any, opal: User) -> None:
    # Transactional test: each upsert commits, and its embedding task runs (synchronously here).
    kb_document_upsert(
        path="kb/hooks.md", content="# Hooks\n\nHook the viewer in the first second.", actor="t"
    )
    kb_document_upsert(
        path="kb/projects/aismr/foley.md", content="Foley: soap cutting sounds", project="aismr", actor="t"
    )
    console.login("opal", PASSWORD)
    console.visit("/admin/knowledge/kbdocument/search/?query=hook+the+viewer&k=5&mode=hybrid", "kb-search")
    marks = [mark.text for mark in console.driver.find_elements("css selector", "#kb-search-results mark")]
    assert "Hook" in marks and "viewer" in marks
    console.visit("/admin/knowledge/kbdocument/search/?query=quantum+zebra&k=5&mode=hybrid", "kb-no-match")
    assert "No match" in console.find("#kb-no-match").text
    options = [o.text for o in console.driver.find_elements("css selector", "select[name=project] option")]
    assert options == ["all documents", "aismr"]


def test_the_dashboard_charts_link_to_their_lists(
    console: Any, opal: User, live_server: Any, test_handler: Any
) -> None:
    ideate_gate()
    published = running_run()
    run_transition(run_id=published.run_id, to=RunStatus.PUBLISHED, actor="t")
    body = fixture_bytes("standard_event")
    _post(
        live_server,
        "acme",
        body,
        {"webhook-signature": "v1,AAAA", "webhook-id": "x", "webhook-timestamp": "1"},
    )

    def broken(event: WebhookEvent) -> Any:
        raise RuntimeError("downstream is down")

    test_handler("broken", broken)
    _post(live_server, "broken", body, sign_standard(body, msg_id="msg_broken"))
    process_waiting()  # what the webhook loop does next: the broken delivery fails into the DLQ
    console.login("opal", PASSWORD)
    console.visit("/admin/", "dashboard")
    for chart in ("chart-runs", "chart-dlq", "chart-gates", "chart-publish", "chart-deliveries-acme"):
        assert console.find(f"#{chart} svg" if chart != "chart-dlq" else f"#{chart}"), chart
    assert console.find("#chart-dlq p").text.startswith("1 entry")
    # Only a count that is not zero is red.
    red = style(console, console.find("#chart-deliveries-acme .delivery-rejected"), "color")
    assert red == "rgb(207, 34, 46)"
    totals = {
        (provider, outcome): style(
            console, console.find(f"#chart-deliveries-{provider} .delivery-{outcome}"), "color"
        )
        for provider in ("acme", "broken")
        for outcome in ("failed", "rejected")
    }
    assert totals == {
        ("acme", "failed"): style(console, console.find("#chart-deliveries-acme small"), "color"),
        ("acme", "rejected"): red,
        ("broken", "failed"): red,
        ("broken", "rejected"): style(console, console.find("#chart-deliveries-broken small"), "color"),
    }
    assert console.find("#chart-deliveries-acme small").text == "0 ok · 0 failed · 1 rejected"
    console.find("#chart-runs svg a").click()
    console.find("#result_list")
    console.shot("runs-from-chart")
    assert "status__exact=" in console.driver.current_url and "created_at__gte" in console.driver.current_url
