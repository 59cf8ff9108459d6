"""Headless Chromium for the console's flows: a logged-in operator's browser that saves a
screenshot of every page it visits into var/screenshots/ (CI keeps the folder as an artifact).

Every page is served under the console's Content-Security-Policy; Chromium reports each thing the
policy blocked (an inline script, style or handler, a source not allowed) in its console log, and
a browser test fails on any such report (``csp_violations``, checked at every screenshot and when
the browser closes)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(
    os.environ.get("SCREENSHOTS_DIR", Path(__file__).resolve().parent.parent / "var" / "screenshots")
)
WIDTH, HEIGHT = 1400, 1000  # a laptop's width, where wide tables would overflow their cards
MAX_SHOT_HEIGHT = 6000


def chromium_driver() -> Any:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        # No skip: the console's flows are part of the suite. A browser is a system package
        # (Debian's chromium; PyPI has no browser build, and Playwright/puppeteer download theirs
        # from CDNs outside the package registries); `.ci/run` installs it.
        pytest.fail(
            "The browser tests need Chromium and chromedriver: apt-get install chromium chromium-driver "
            "(.ci/run installs them)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        # Media may play without a click (the player test checks it can), muted: no audio device.
        "--autoplay-policy=no-user-gesture-required",
        "--mute-audio",
        f"--window-size={WIDTH},{HEIGHT}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    return driver


def csp_violations(driver: Any) -> list[str]:
    """What Chromium refused because of the Content-Security-Policy since the last call (reading
    the log empties it)."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Content-Security-Policy" in entry["message"]
    ]


def assert_no_csp_violations(driver: Any) -> None:
    violations = csp_violations(driver)
    assert not violations, "blocked by the Content-Security-Policy:\n" + "\n".join(violations)


def browser_fixture() -> Iterator[Any]:
    driver = chromium_driver()
    try:
        yield driver
        assert_no_csp_violations(driver)
    finally:
        driver.quit()


class Console:
    """The browser of one test, at ``live_server``; ``visit`` and ``shot`` save screenshots."""

    def __init__(self, driver: Any, base_url: str, test_name: str) -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver = driver
        self.base_url = base_url
        self.prefix = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)[:80]
        self.wait = WebDriverWait(driver, 20)
        self.shots: list[Path] = []

    def login(self, username: str, password: str) -> None:
        from selenium.webdriver.common.by import By

        self.driver.get(f"{self.base_url}/admin/login/")
        self.driver.find_element(By.NAME, "username").send_keys(username)
        self.driver.find_element(By.NAME, "password").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        self.wait.until(lambda d: "/admin/login/" not in d.current_url)

    def visit(self, path: str, name: str) -> None:
        self.driver.get(self.base_url + path)
        self.shot(name)

    def shot(self, name: str) -> Path:
        """A full-page screenshot (the window is stretched to the page's height, then restored)."""
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(WIDTH, min(max(height, HEIGHT), MAX_SHOT_HEIGHT))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.prefix}-{len(self.shots) + 1:02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(WIDTH, HEIGHT)
        self.shots.append(path)
        assert_no_csp_violations(self.driver)
        return path

    @contextmanager
    def reloads(self) -> Iterator[None]:
        """The page replaces itself during the block (the live queue reloads when a gate opens or
        closes); after it, the new page has loaded. Reading the old page while the reload pulls
        it away would raise StaleElementReferenceException, so nothing of it is read: the wait
        is for its root element to go stale, then for the new document to be complete."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        old_page = self.driver.find_element(By.TAG_NAME, "html")
        yield
        self.wait.until(ec.staleness_of(old_page))
        self.wait.until(lambda d: d.execute_script("return document.readyState") == "complete")

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        return self.wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))

    def overflows_horizontally(self) -> bool:
        """The page, or a changelist's table inside its own scroll box, is wider than the window."""
        return bool(
            self.driver.execute_script(
                "var page = document.documentElement, list = document.querySelector('#changelist .results');"
                "return page.scrollWidth > page.clientWidth || (list && list.scrollWidth > list.clientWidth);"
            )
        )


def console_fixture(request: Any, live_server: Any) -> Iterator[Console]:
    for driver in browser_fixture():
        yield Console(driver, live_server.url, request.node.name)
