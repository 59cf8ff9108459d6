"""One rule decides whether a run may be published (socials.selectors.run_publish_refusal), and
every surface follows it: the publish service, the run page's publish link, the publish page."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from artifacts.models import ArtifactType
from artifacts.services import artifact_create
from myloware.lib.errors import Conflict
from runs.models import Gate, HitlDecision, Run, RunStatus
from runs.services import gate_decide, gate_open, run_create
from socials import services
from socials.selectors import run_publish_refusal

pytestmark = pytest.mark.django_db
RENDER = "https://cdn.example.com/final.mp4"


def _pending(make_running_run: Any, settings: Any) -> Run:
    run = run_create(project="aismr", actor="test")
    artifact_create(run_id=run.run_id, type=ArtifactType.RENDER_URL, url=RENDER, provider="shotstack")
    return run


def _gate_not_approved(make_running_run: Any, settings: Any) -> Run:
    settings.GATE_DISABLED = []
    return Run.objects.get(pk=make_running_run(render_url=RENDER).pk)


def _gate_approved(make_running_run: Any, settings: Any) -> Run:
    settings.GATE_DISABLED = []
    run = make_running_run(render_url=RENDER)
    gate_open(run_id=run.run_id, gate=Gate.PREPUBLISH, actor="api:orchestrator")
    gate_decide(
        run_id=run.run_id, gate=Gate.PREPUBLISH, decision=HitlDecision.APPROVE, actor="admin:reviewer"
    )
    return Run.objects.get(pk=run.pk)


def _gate_not_used(make_running_run: Any, settings: Any) -> Run:
    settings.GATE_DISABLED = [Gate.PREPUBLISH]  # the project does not use the prepublish gate
    return Run.objects.get(pk=make_running_run(render_url=RENDER).pk)


CASES = [
    (_pending, "conflict"),
    (_gate_not_approved, "prepublish_not_approved"),
    (_gate_approved, None),
    (_gate_not_used, None),
]


@pytest.mark.parametrize(("state", "refused_with"), CASES, ids=[case[0].__name__ for case in CASES])
def test_every_surface_follows_the_one_rule(
    state: Any,
    refused_with: str | None,
    operator_client: Client,
    make_social: Any,
    make_running_run: Any,
    settings: Any,
) -> None:
    settings.DEBUG = True  # the fake publisher serves the account
    make_social(credential_ref="")
    run = state(make_running_run, settings)

    refusal = run_publish_refusal(run)
    assert (refusal.code if refusal else None) == refused_with

    story = operator_client.get(reverse("admin:runs_run_change", args=[quote(run.run_id)])).content.decode()
    publish_page = operator_client.get(reverse("admin:socials_publication_publish", args=[run.run_id]))
    assert ('id="run-publish-link"' in story) == (refusal is None)
    shown = publish_page.content.decode()
    assert (refusal is None and "can be published" not in shown) or (refusal and refusal.message in shown)

    if refusal is None:
        publication, created = services.publication_request(run_id=run.run_id, actor="test")
        assert created and publication.run_id == run.run_id
    else:
        with pytest.raises(Conflict) as raised:
            services.publication_request(run_id=run.run_id, actor="test")
        assert (raised.value.code, raised.value.message) == (refusal.code, refusal.message)


def test_the_refusal_names_the_status_a_run_needs(make_running_run: Any) -> None:
    run = run_create(project="aismr", actor="test")
    refusal = run_publish_refusal(run)
    assert refusal is not None
    assert refusal.details == {"current_status": RunStatus.PENDING, "required_status": RunStatus.RUNNING}
    assert refusal.message == f"Run {run.run_id} is pending; only a running run can be published"


def test_the_run_page_offers_no_publish_link_without_the_permission(
    client: Client, django_user_model: Any, make_running_run: Any
) -> None:
    staff = django_user_model.objects.create_user("viewer", password="viewer-pass-123", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename="view_run"))
    client.force_login(staff)
    run = Run.objects.get(pk=make_running_run(render_url=RENDER).pk)
    assert run_publish_refusal(run) is None
    story = client.get(reverse("admin:runs_run_change", args=[quote(run.run_id)]))
    assert story.status_code == 200 and 'id="run-publish-link"' not in story.content.decode()
