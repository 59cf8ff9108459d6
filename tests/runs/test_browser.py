"""A real browser (headless Chromium) approves a gate through the operators' console."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from artifacts.services import artifact_create
from myloware.api.operators import OPERATORS_GROUP
from runs.models import GateStatus, HitlApproval, Run, RunStatus
from runs.services import gate_open, run_create, run_transition


@pytest.mark.django_db(transaction=True)
def test_operator_approves_a_gate_in_a_real_browser(browser, live_server):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    user = User.objects.create_user("opal", password="opal-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name=OPERATORS_GROUP))
    run = run_create(project="aismr", run_id="run_browser", actor="api:orchestrator")
    run_transition(run_id=run.run_id, to=RunStatus.RUNNING, actor="api:orchestrator")
    clip, _ = artifact_create(run_id=run.run_id, type="clip", persona="riley", url="https://cdn.test/c.mp4")
    gate_request, _ = gate_open(
        run_id=run.run_id, gate="prepublish", actor="api:orchestrator", artifact_ids=[str(clip.id)]
    )

    wait = WebDriverWait(browser, 20)
    browser.get(f"{live_server.url}/admin/login/?next=/admin/runs/pendingapproval/")
    browser.find_element(By.NAME, "username").send_keys("opal")
    browser.find_element(By.NAME, "password").send_keys("opal-pass-123")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "a.decide-link"))).click()
    wait.until(ec.presence_of_element_located((By.TAG_NAME, "video")))
    browser.find_element(By.ID, "id_comment").send_keys("Looks good")
    # A double click must still record exactly one decision.
    ActionChains(browser).double_click(browser.find_element(By.ID, "approve-button")).perform()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "ul.messagelist li.success")))
    assert "/admin/runs/pendingapproval/" in browser.current_url

    row = HitlApproval.objects.get(run=run)
    assert (row.approver, row.decision, row.comment) == ("admin:opal", "approve", "Looks good")
    assert row.approver_ip == "127.0.0.1"
    assert "Chrome" in row.metadata["user_agent"]
    gate_request.refresh_from_db()
    assert gate_request.status == GateStatus.APPROVED
    assert Run.objects.get(pk=run.pk).status == RunStatus.RUNNING
