from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from artifacts.services import artifact_create
from runs.models import GateRequest, GateStatus, HitlApproval, Run, RunStatus
from runs.services import gate_open

pytestmark = pytest.mark.django_db


def _decide_url(gate_request) -> str:
    return reverse("admin:runs_pendingapproval_change", args=[gate_request.pk])


@pytest.fixture
def review_gate(make_run):
    run = make_run(project="aismr")
    ids = [
        artifact_create(
            run_id=run.run_id, type="idea", persona="iggy", metadata={"text": "Soap cutting <b>ASMR</b>"}
        )[0],
        artifact_create(run_id=run.run_id, type="clip", persona="riley", url="https://cdn.test/clip0.mp4")[0],
        artifact_create(run_id=run.run_id, type="thumbnail", url="https://cdn.test/thumb.png")[0],
        artifact_create(
            run_id=run.run_id,
            type="retrieval.trace",
            persona="iggy",
            retrieval_trace={
                "query": "q",
                "docIds": ["d1"],
                "similarities": [0.8],
                "persona": "iggy",
                "project": "aismr",
            },
        )[0],
        artifact_create(run_id=run.run_id, type="clip", url="javascript:alert(1)")[0],
    ]
    ids.append(
        artifact_create(
            run_id=run.run_id,
            type="citations",
            persona="iggy",
            metadata={"items": [{"doc_id": "d1", "path": "projects/aismr/style.md", "reason": "tone"}]},
        )[0]
    )
    gate_request, _ = gate_open(
        run_id=run.run_id, gate="ideate", actor="api:o", artifact_ids=[str(a.id) for a in ids]
    )
    return gate_request


def test_queue_lists_open_gates_oldest_first(operator_client, gate_with_idea):
    first, second = gate_with_idea(), gate_with_idea()
    html = operator_client.get(reverse("admin:runs_pendingapproval_changelist")).content.decode()
    assert html.index(first.run_id) < html.index(second.run_id)
    assert "waiting" in html


def test_decision_page_renders_the_artifacts_as_people_see_them(operator_client, review_gate):
    response = operator_client.get(_decide_url(review_gate))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<video controls preload="metadata" src="https://cdn.test/clip0.mp4">' in html
    assert '<img src="https://cdn.test/thumb.png"' in html
    assert "Soap cutting &lt;b&gt;ASMR&lt;/b&gt;" in html
    assert "projects/aismr/style.md" in html
    assert 'src="javascript:' not in html and 'href="javascript:' not in html
    assert 'id="approve-button"' in html and 'id="reject-button"' in html


def test_operator_approves_through_the_admin_with_ip_and_user_agent(operator_client, review_gate):
    page = operator_client.get(_decide_url(review_gate)).context
    response = operator_client.post(
        _decide_url(review_gate),
        {
            "decision": "approve",
            "idempotency_key": page["idempotency_key"],
            "content_hash": page["content_hash"],
        },
        REMOTE_ADDR="192.0.2.44",
        HTTP_USER_AGENT="Firefox",
    )
    assert response.status_code == 302
    row = HitlApproval.objects.get()
    assert (row.approver, row.approver_ip, row.metadata["user_agent"]) == (
        "admin:operator",
        "192.0.2.44",
        "Firefox",
    )
    assert Run.objects.get(pk=review_gate.run_id).status == RunStatus.RUNNING


def test_double_submit_of_the_form_records_one_decision(operator_client, review_gate):
    data = {"decision": "approve", "idempotency_key": "form-key-1"}
    operator_client.post(_decide_url(review_gate), data)
    second = operator_client.post(_decide_url(review_gate), data, follow=True)
    assert "already recorded" in second.content.decode()
    assert HitlApproval.objects.count() == 1


def test_reject_without_comment_shows_the_error_and_records_nothing(operator_client, review_gate):
    response = operator_client.post(_decide_url(review_gate), {"decision": "reject"}, follow=True)
    assert "needs a comment" in response.content.decode()
    assert not HitlApproval.objects.exists()
    review_gate.refresh_from_db()
    assert review_gate.status == GateStatus.OPEN


def test_staff_without_the_decide_permission_sees_no_buttons_and_cannot_post(client, review_gate):
    viewer = User.objects.create_user("viewer", password="x-pass-123", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_pendingapproval"))
    client.force_login(viewer)
    html = client.get(_decide_url(review_gate)).content.decode()
    assert 'id="approve-button"' not in html
    assert client.post(_decide_url(review_gate), {"decision": "approve"}).status_code == 403
    assert not HitlApproval.objects.exists()


def test_operators_group_has_the_decide_permission(operator):
    assert operator.has_perm("runs.decide_gate")
    assert operator.has_perm("runs.view_pendingapproval")


def test_decision_post_requires_csrf(operator, review_gate):
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    assert client.post(_decide_url(review_gate), {"decision": "approve"}).status_code == 403
    assert not HitlApproval.objects.exists()


def test_approvals_are_never_changed_or_deleted_in_the_admin(superuser_client, gate_with_idea):
    from runs.services import gate_decide

    gate_request = gate_with_idea()
    gate_decide(run_id=gate_request.run_id, gate="ideate", decision="approve", actor="admin:ann")
    row = HitlApproval.objects.get()
    change = reverse("admin:runs_hitlapproval_change", args=[row.pk])
    assert superuser_client.post(change, {"comment": "edited"}).status_code == 403
    assert (
        superuser_client.post(
            reverse("admin:runs_hitlapproval_delete", args=[row.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert HitlApproval.objects.get().comment == ""


def _run_url(run_id: str) -> str:
    """The run page's address as the admin writes it: the primary key quoted ("_" is "_5F")."""
    return reverse("admin:runs_run_change", args=[quote(run_id)])


def test_run_page_is_a_read_only_story(operator_client, gate_with_idea):
    gate_request = gate_with_idea()
    html = operator_client.get(_run_url(gate_request.run_id)).content.decode()
    assert f"<h1>Run {gate_request.run_id}</h1>" in html
    assert "Change run" not in html and 'name="_save"' not in html
    # The stage strip, then the timeline before the artifacts and the collapsed JSON.
    assert html.index('id="stage-strip"') < html.index('id="run-timeline"') < html.index('id="run-data"')
    assert "<details><summary>payload</summary>" in html
    assert "ideate gate opened" in html and "created as pending" in html
    # Rows link to what they describe; times have seconds and the zone.
    decide_url = reverse("admin:runs_pendingapproval_change", args=[gate_request.pk])
    assert f'<a href="{decide_url}">ideate gate opened</a>' in html
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", html)
    assert "All artifacts of this run (1)" in html


@pytest.mark.parametrize("run_id", ["run_40c0ffee", "run_22:3A.x"])
def test_run_pages_and_links_work_for_ids_the_admin_must_quote(operator_client, make_run, run_id):
    """Run ids are text primary keys with "_" (and maybe ":"), which admin URLs escape: "_40" in a
    raw id would read back as "@". Every link goes to the quoted address, which shows the run."""
    from runs.services import run_create, run_transition

    run_create(project="aismr", run_id=run_id, actor="api:orchestrator")
    run_transition(run_id=run_id, to=RunStatus.RUNNING, actor="test")
    artifact_create(run_id=run_id, type="idea", persona="iggy", metadata={"text": "t"})
    gate_request, _ = gate_open(run_id=run_id, gate="ideate", actor="api:o")
    link = f'href="{_run_url(run_id)}"'
    assert link in operator_client.get(reverse("admin:runs_run_changelist")).content.decode()
    assert link in operator_client.get(reverse("admin:runs_pendingapproval_changelist")).content.decode()
    assert link in operator_client.get(_decide_url(gate_request)).content.decode()
    html = operator_client.get(_run_url(run_id)).content.decode()
    assert "created as pending" in html and "ideate gate opened" in html
    assert "All artifacts of this run (1)" in html
    run_transition(run_id=run_id, to=RunStatus.FAILED, actor="test")
    assert link in operator_client.get(reverse("admin:index")).content.decode()  # failed runs


def test_stage_strip_times_each_stage_and_marks_the_current_one(gate_with_idea):
    from runs.selectors import run_stages

    gate_request = gate_with_idea()
    later = gate_request.opened_at + timedelta(minutes=5)
    stages = {stage["name"]: stage for stage in run_stages(run_id=gate_request.run_id, now=later)}
    assert stages["iggy"]["state"] == "done"
    assert (stages["ideate"]["state"], stages["ideate"]["duration_display"]) == ("current", "5 min 0 s")
    assert stages["riley"]["state"] == stages["quinn"]["state"] == "not reached"


def test_checkpoint_writes_are_folded_in_the_timeline():
    from runs.templatetags.runs_admin import timeline_rows

    at = "2026-01-02T03:04:05+00:00"
    events = [
        {"at": at, "kind": "transition", "summary": "created", "actor": "a", "details": {}},
        *[
            {"at": at, "kind": "checkpoint", "summary": f"step {i}", "actor": "", "details": {}}
            for i in range(3)
        ],
        {"at": at, "kind": "artifact", "summary": "idea", "actor": "iggy", "details": {}},
    ]
    rows = timeline_rows(events)
    assert [row["folded"] for row in rows] == [False, True, False]
    assert len(rows[1]["events"]) == 3
    assert rows[0]["event"]["at_display"] == "2026-01-02 03:04:05 UTC"


def test_admin_index_dashboard(operator_client, gate_with_idea, make_run):
    gate_with_idea()
    failed = make_run(status=RunStatus.FAILED)
    html = operator_client.get(reverse("admin:index")).content.decode()
    assert 'id="ops-dashboard"' in html
    assert '<span id="pending-count">1</span>' in html
    assert failed.run_id in html


def test_cancel_action_goes_through_the_lifecycle(operator_client, make_run):
    running, done = make_run(), make_run(status=RunStatus.PUBLISHED)
    operator_client.post(
        reverse("admin:runs_run_changelist"),
        {"action": "cancel_runs", "_selected_action": [running.pk, done.pk]},
    )
    assert Run.objects.get(pk=running.pk).status == RunStatus.CANCELLED
    assert Run.objects.get(pk=done.pk).status == RunStatus.PUBLISHED


@pytest.mark.parametrize(
    "name",
    [
        "runs_run",
        "runs_runtransition",
        "runs_hitlapproval",
        "runs_gaterequest",
        "runs_gatepolicy",
        "runs_orchestrationcheckpoint",
        "runs_callbackendpoint",
        "runs_pendingapproval",
        "artifacts_artifact",
    ],
)
def test_changelists_load(superuser_client, review_gate, name):
    response = superuser_client.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200


def test_artifact_page_loads_with_filters(superuser_client, review_gate):
    from artifacts.models import Artifact

    assert (
        superuser_client.get(
            reverse("admin:artifacts_artifact_changelist") + "?type=clip&persona=riley"
        ).status_code
        == 200
    )
    artifact = Artifact.objects.first()
    assert (
        superuser_client.get(reverse("admin:artifacts_artifact_change", args=[artifact.pk])).status_code
        == 200
    )


def test_run_page_offers_publishing_only_after_the_prepublish_gate_is_approved(operator_client, make_run):
    from runs.services import gate_decide

    run = make_run()
    run_url = _run_url(run.run_id)
    publish_url = reverse("admin:socials_publication_publish", args=[run.run_id])
    assert publish_url not in operator_client.get(run_url).content.decode()

    gate_open(run_id=run.run_id, gate="prepublish", actor="api:orchestrator")
    gate_decide(run_id=run.run_id, gate="prepublish", decision="approve", actor="admin:someone-else")
    assert Run.objects.get(pk=run.pk).status == RunStatus.RUNNING
    assert publish_url in operator_client.get(run_url).content.decode()


def test_the_approvals_count_is_in_the_header_of_every_admin_page(operator_client, gate_with_idea):
    gate_with_idea(), gate_with_idea()
    for url in (
        reverse("admin:index"),
        reverse("admin:webhooks_webhookevent_changelist"),
        reverse("admin:knowledge_kbdocument_search"),
    ):
        html = operator_client.get(url).content.decode()
        assert '<span id="approvals-count">2</span>' in html, url


def test_the_queue_summary_is_json_for_the_live_refresh(operator_client, gate_with_idea, client):
    first = gate_with_idea()
    url = reverse("admin:runs_pendingapproval_summary")
    before = operator_client.get(url).json()
    assert (before["count"], before["overdue"]) == (1, 0)
    gate_with_idea()
    after = operator_client.get(url).json()
    assert after["count"] == 2 and after["signature"] != before["signature"]
    from runs.services import gate_decide

    gate_decide(run_id=first.run_id, gate="ideate", decision="approve", actor="admin:x")
    assert operator_client.get(url).json()["count"] == 1
    client.logout()
    assert client.get(url).status_code == 302  # staff only


def test_queue_rows_say_what_is_under_review_and_the_deadline(operator_client, review_gate):
    html = operator_client.get(reverse("admin:runs_pendingapproval_changelist")).content.decode()
    assert "<title>Approvals queue" in html
    assert "1 idea, 2 clips, 1 thumbnail artifact, 1 retrieval trace, 1 citation list" in html
    assert re.search(r'<span title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC">in \d+\s(hours|days)', html)


def test_bulk_approve_decides_every_selected_gate_through_the_service(operator_client, gate_with_idea):
    gates = [gate_with_idea(), gate_with_idea()]
    response = operator_client.post(
        reverse("admin:runs_pendingapproval_changelist"),
        {"action": "approve_selected", "_selected_action": [g.pk for g in gates]},
        follow=True,
    )
    assert "Approved 2 gates." in response.content.decode()
    assert (
        list(HitlApproval.objects.values_list("decision", "approver")) == [("approve", "admin:operator")] * 2
    )


def test_bulk_reject_asks_for_one_comment_first(operator_client, gate_with_idea):
    gates = [gate_with_idea(), gate_with_idea()]
    url = reverse("admin:runs_pendingapproval_changelist")
    selected = {"action": "reject_selected", "_selected_action": [g.pk for g in gates]}
    page = operator_client.post(url, selected).content.decode()
    assert 'id="id_bulk_comment"' in page and "required" in page
    empty = operator_client.post(url, {**selected, "confirm": "yes", "comment": "  "}).content.decode()
    assert "needs a comment" in empty and not HitlApproval.objects.exists()
    operator_client.post(url, {**selected, "confirm": "yes", "comment": "Off-brand"})
    assert list(HitlApproval.objects.values_list("decision", "comment")) == [("reject", "Off-brand")] * 2
    assert {g.status for g in GateRequest.objects.all()} == {GateStatus.REJECTED}


def test_viewers_without_the_decide_permission_get_no_bulk_actions(client, gate_with_idea):
    viewer = User.objects.create_user("viewer", password="x-pass-123", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_pendingapproval"))
    client.force_login(viewer)
    gate = gate_with_idea()
    html = client.get(reverse("admin:runs_pendingapproval_changelist")).content.decode()
    assert "approve_selected" not in html
    client.post(
        reverse("admin:runs_pendingapproval_changelist"),
        {"action": "approve_selected", "_selected_action": [gate.pk]},
    )
    assert not HitlApproval.objects.exists()


def test_a_refused_decision_is_shown_next_to_the_buttons_with_the_comment_kept(operator_client, review_gate):
    response = operator_client.post(_decide_url(review_gate), {"decision": "reject", "comment": "   "})
    html = response.content.decode()
    assert response.status_code == 422  # the service's InvalidInput status, with the page
    assert 'id="decision-error"' in html and "needs a comment" in html
    assert html.index('id="reject-button"') < html.index("needs a comment") < html.index("Under review")


def test_the_prepublish_page_shows_where_the_video_goes_and_the_chosen_idea(operator_client, make_run):
    from runs.services import gate_decide
    from socials.services import project_social_link, social_create

    social = social_create(
        provider="tiktok", account_id="acct", actor="t", default_caption="Soap!", default_tags=["asmr"]
    )
    project_social_link(project="aismr", social_id=social.pk, actor="t", is_primary=True)
    run = make_run(project="aismr")
    ideas = [
        artifact_create(run_id=run.run_id, type="idea", metadata={"text": text})[0]
        for text in ("Cut the soap slowly", "Crush the chalk")
    ]
    gate_open(run_id=run.run_id, gate="ideate", actor="api:o", artifact_ids=[str(i.id) for i in ideas])
    gate_decide(
        run_id=run.run_id,
        gate="ideate",
        decision="approve",
        actor="admin:ann",
        chosen_idea_id=str(ideas[1].id),
    )
    clip, _ = artifact_create(run_id=run.run_id, type="clip", url="https://cdn.test/c.webm")
    prepublish, _ = gate_open(
        run_id=run.run_id, gate="prepublish", actor="api:o", artifact_ids=[str(clip.id)]
    )
    html = operator_client.get(_decide_url(prepublish)).content.decode()
    assert 'id="prepublish-summary"' in html and "tiktok:acct" in html and "Soap!" in html
    assert '<span class="tag">asmr</span>' in html and "provider default" in html
    assert '<blockquote class="chosen-idea" id="chosen-idea">Crush the chalk</blockquote>' in html
    assert "Cut the soap slowly" not in html
