"""Module-scoped browser fixtures: the demo portal served once per test module, one
headless Chromium for the module, screenshots at a desktop and a phone width.

    from tests.browser import portal, chromium, screenshot, login  # noqa: F401 - fixtures

A module that uses ``portal`` must not use the function-scoped ``clean_db`` /
``clean_index`` (they would wipe the demo data under the running web app): its tests
share the demo content, and each creates what it changes under names of its own.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.test_browser import (ADMIN, ADMIN_PASSWORD, ARTIFACTS, CHROMEDRIVER, CHROMIUM, ROOT, click_and_wait,
                                serving_web_app, squeeze)

__all__ = ["portal", "chromium", "screenshot", "login", "click_and_wait", "squeeze", "axe_violations",
           "DESKTOP", "PHONE", "ADMIN", "ADMIN_PASSWORD"]

DESKTOP, PHONE = (1366, 900), (390, 844)
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def portal(clean_module_db):
    """The demo content committed to a clean test database, and the web app of
    config/test.ini served by gunicorn on a free port of 127.0.0.1: its base URL."""
    from ckanext.datasud import demo

    demo.ensure_sysadmin(ADMIN, ADMIN_PASSWORD, "admin@datasud.test")
    demo.load(ADMIN)
    with serving_web_app() as url:
        yield url


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """One headless Chromium (Debian's, driven by Debian's chromedriver) for the module,
    at the desktop size; cookies are cleared by ``login`` and can be by the tests."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK), \
        "Chromium and its driver are installed by `bin/datasud test` (Debian packages chromium, chromium-driver)"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--window-size={DESKTOP[0]},{DESKTOP[1]}", f"--user-data-dir={profile}", "--lang=fr-FR",
                "--hide-scrollbars"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    phone_aware_window_size(driver)
    yield driver
    driver.quit()


def phone_aware_window_size(driver) -> None:
    """Headless Chromium never makes a window narrower than 500 px: below that,
    ``set_window_size`` emulates the device instead (Chrome DevTools' device metrics, as a
    phone: its viewport, its width for CSS and scripts, its screenshots)."""
    window_size = driver.set_window_size

    def set_window_size(width, height, windowHandle="current"):
        if width < 500:
            window_size(500, height)
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": int(width), "height": int(height), "deviceScaleFactor": 1, "mobile": True})
        else:
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
            window_size(width, height)

    driver.set_window_size = set_window_size


def screenshot(driver, name: str, width: int = DESKTOP[0]) -> Path:
    """The whole page at ``width`` px as test-artifacts/<name>; the window gets back to the
    desktop size afterwards."""
    ARTIFACTS.mkdir(exist_ok=True)
    driver.set_window_size(width, DESKTOP[1] if width >= 768 else PHONE[1])
    driver.execute_script("window.scrollTo({top: 0, behavior: 'instant'})")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(PHONE[1], min(int(height) + 40, 8000)))
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    driver.set_window_size(*DESKTOP)
    assert path.stat().st_size > 5_000
    return path


def login(driver, base: str, name: str, password: str) -> None:
    """Log ``name`` in through the login form (any earlier session is ended first)."""
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(f"{base}/user/login")
    driver.find_element(By.ID, "field-login").send_keys(name)
    driver.find_element(By.ID, "field-password").send_keys(password)
    click_and_wait(driver, driver.find_element(
        By.XPATH, '//input[@id="field-password"]/ancestor::form//button[@type="submit"]'))


def axe_violations(driver, impacts=("serious", "critical")) -> list[dict]:
    """axe-core (from the npm registry, installed in node_modules by `bin/datasud test`)
    run on the current page: the violations of the given impacts, each with its nodes."""
    assert AXE.is_file(), "axe-core is installed by `bin/datasud test` (npm ci)"
    driver.execute_script(AXE.read_text())
    driver.set_script_timeout(60)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(JSON.stringify(r.violations)))"
        ".catch(e => done(JSON.stringify({error: String(e)})));")
    violations = json.loads(result)
    assert not isinstance(violations, dict), violations
    return [v for v in violations if v.get("impact") in impacts]
