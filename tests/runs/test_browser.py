"""A real browser (headless Chromium) approves a gate through the operators' console."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from artifacts.services import artifact_create
from myloware.api.operators import OPERATORS_GROUP
from runs.models import GateStatus, HitlApproval, Run, RunStatus
from runs.services import gate_open, run_create, run_transition
from tests.runs.conftest import CHAT_SECRET, Notify

pytestmark = pytest.mark.browser


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


@pytest.mark.django_db(transaction=True)
def test_the_gate_page_lists_the_notifications_sent_and_is_read_only_for_an_operator_not_assigned(
    console, notify: Notify
):
    from selenium.webdriver.common.by import By

    from runs.models import GatePolicy

    operators = Group.objects.get(name=OPERATORS_GROUP)
    for name in ("ann", "carl"):
        User.objects.create_user(name, password=f"{name}-pass-123", is_staff=True).groups.add(operators)
    policy = GatePolicy.objects.create(project="aismr", gate="ideate", deadline_hours=24)
    policy.approver_users.add(User.objects.get(username="ann"))
    run = run_create(project="aismr", actor="api:orchestrator")
    run_transition(run_id=run.run_id, to=RunStatus.RUNNING, actor="api:orchestrator")
    idea, _ = artifact_create(run_id=run.run_id, type="idea", persona="iggy", metadata={"text": "Soap ASMR"})
    # Committed at once: the opening's messages go out (the task runs inline in the tests).
    gate_request, _ = gate_open(
        run_id=run.run_id, gate="ideate", actor="api:orchestrator", artifact_ids=[str(idea.id)]
    )
    page = f"/admin/runs/pendingapproval/{gate_request.pk}/change/"

    console.login("carl", "carl-pass-123")
    console.visit(page, "gate-read-only-for-carl")
    assert console.find("#read-only-note").text == (
        "This gate is assigned to ann: you can review it but not decide it."
    )
    assert console.driver.find_elements(By.ID, "approve-button") == []
    rows = console.driver.find_elements(By.CSS_SELECTOR, "#gate-notifications tr.notification")
    sent = [row.text for row in rows if "notification-sent" in row.get_attribute("class")]
    assert len(rows) == 6 and len(sent) == 2
    assert any("approvers@example.com" in text for text in sent)
    assert any(f"127.0.0.1:{notify.chat.port}/[redacted]#" in text for text in sent)
    assert CHAT_SECRET not in console.driver.page_source

    console.driver.delete_all_cookies()
    console.login("ann", "ann-pass-123")
    console.visit(page, "gate-decidable-for-ann")
    console.find("#approve-button").click()
    console.find("ul.messagelist li.success")
    console.visit(page, "gate-approved-notifications")
    closed = [
        row.text
        for row in console.driver.find_elements(By.CSS_SELECTOR, "#gate-notifications tr.notification")
    ]
    assert sum("Gate closed" in text and "Sent" in text for text in closed) == 2
    assert sum("Skipped" in text for text in closed) == 4
    assert "was approved by admin:ann" in notify.smtp.to("approvers@example.com")[-1].subject
