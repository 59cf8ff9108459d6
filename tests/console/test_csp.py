"""The console under its Content-Security-Policy: every page works, nothing is blocked.

The browser fixtures fail a test on anything the policy blocked (tests/browser.py); here, that
check is shown to catch inline code, and every page of the console — each list, add and change
page of every model, the custom pages, the login and the API docs — is opened by a superuser.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from django.contrib.auth.models import User

from knowledge.services import kb_document_upsert
from myloware.api.services import api_key_create
from socials.services import social_create
from tests.browser import csp_violations
from tests.console.test_browser_console import _post, prepublish_gate
from tests.webhooks.conftest import fixture_bytes, sign_standard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "root-pass-123"


def test_the_policy_allows_only_our_own_code_and_the_check_catches_inline_code(
    browser: Any, live_server: Any
) -> None:
    policy = httpx.get(f"{live_server.url}/admin/login/").headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy and "style-src 'self'" in policy and "frame-ancestors 'none'" in policy
    )
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    browser.get(f"{live_server.url}/admin/login/")
    assert csp_violations(browser) == []
    browser.execute_script(
        "var box = document.createElement('div');"
        "box.innerHTML = '<span style=\"color: red\">styled</span>';"
        "document.body.appendChild(box);"
        "var script = document.createElement('script'); script.textContent = 'window.ran = 1;';"
        "document.body.appendChild(script);"
    )
    blocked = csp_violations(browser)
    assert any("inline style" in message for message in blocked), blocked
    assert any("inline script" in message for message in blocked), blocked
    assert browser.execute_script("return window.ran === undefined")


def _admin_links(console: Any) -> list[str]:
    """Every list and add page linked from the admin index."""
    hrefs = [
        anchor.get_attribute("href")
        for anchor in console.driver.find_elements("css selector", "#content-main a")
    ]
    paths = {re.sub(r"^https?://[^/]+", "", href) for href in hrefs if href}
    return sorted(path for path in paths if re.fullmatch(r"/admin/[a-z_]+/[a-z_]+/(add/)?", path))


def test_every_console_page_works_under_the_policy(
    console: Any, live_server: Any, webhook_providers: Any
) -> None:
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    prepublish_gate(live_server.url)
    kb_document_upsert(
        path="kb/hooks.md", content="# Hooks\n\nHook the viewer in the first second.", actor="t"
    )
    social_create(provider="tiktok", account_id="aismr-official", actor="t")
    api_key_create(name="orchestrator", scopes=("runs",))
    body = fixture_bytes("standard_event")
    _post(live_server, "acme", body, sign_standard(body, msg_id="csp-valid"))
    forged = json.dumps({"type": "forged"}).encode()
    _post(
        live_server,
        "acme",
        forged,
        {"webhook-signature": "v1,AAAA", "webhook-id": "f", "webhook-timestamp": "1"},
    )

    console.login("root", PASSWORD)
    console.visit("/admin/", "index")
    pages = _admin_links(console)
    assert "/admin/runs/run/" in pages and "/admin/webhooks/webhookevent/" in pages
    for path in pages:
        name = path.strip("/").replace("/", "-")
        console.visit(path, name)
        assert "Server Error" not in console.driver.title, path
        rows = console.driver.find_elements(
            "css selector", "#result_list tbody th a, #result_list tbody td a"
        )
        detail = next(
            (a.get_attribute("href") for a in rows if "/change/" in (a.get_attribute("href") or "")), None
        )
        if detail:
            console.visit(re.sub(r"^https?://[^/]+", "", detail), f"{name}-detail")
    for path in (
        "/admin/knowledge/kbdocument/search/?query=hook&k=5&mode=hybrid",
        "/admin/webhooks/webhookevent/test-delivery/",
        "/admin/webhooks/webhookdlq/errors/",
        "/admin/runs/pendingapproval/",
        "/admin/password_change/",
    ):
        console.visit(path, path.strip("/").split("?")[0].replace("/", "-"))
    # The changelist's own scripts still run: "select all" ticks every row.
    console.visit("/admin/webhooks/webhookevent/", "events-select-all")
    console.find("#action-toggle").click()
    boxes = console.driver.find_elements("css selector", "#result_list input.action-select")
    assert boxes and all(box.is_selected() for box in boxes)
    console.shot("events-all-selected")
    # The API docs (Swagger UI) render the operations from the schema.
    console.visit("/api/docs/", "api-docs")
    console.wait.until(lambda d: len(d.find_elements("css selector", ".opblock")) > 10)
    console.shot("api-docs-rendered")
    console.driver.get(f"{live_server.url}/admin/logout/")
    console.visit("/admin/login/", "login")


def test_the_login_with_its_code_and_the_lockout_page_work_in_a_browser(console: Any) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from selenium.webdriver.common.by import By

    user = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    driver = console.driver
    console.visit("/admin/login/", "login-with-code")
    driver.find_element(By.NAME, "username").send_keys("root")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    driver.find_element(By.NAME, "otp_token").send_keys(f"{code:06d}")
    with console.reloads():
        driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    assert "/admin/login/" not in driver.current_url
    console.shot("logged-in-with-code")
    driver.delete_all_cookies()
    for attempt in range(5):
        console.visit("/admin/login/", f"guess-{attempt}")
        driver.find_element(By.NAME, "username").send_keys("root")
        driver.find_element(By.NAME, "password").send_keys(f"guess-{attempt}")
        # The answer has loaded before the next visit: a navigation started while the form's
        # is under way races it (the page can be between documents when it is read).
        with console.reloads():
            driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    assert "Too many failed logins" in console.find("#content-main h1").text
    console.shot("locked-out")
