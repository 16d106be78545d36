"""Accessibility of the main pages (issue 12, item 7): axe-core, from the npm registry
(package.json, installed by `bin/datasud test`), is injected in each page in headless
Chromium, at the desktop width (1366 px) and a phone's (390 px): no serious or critical
violation. A screenshot of each page at each width is saved as
test-artifacts/a11y-<page>-<width>.png.

Pages: home, search, a dataset, one of its resources, the partners page, and the dataset
form (logged in as the sysadmin). The demo portal is served once for the module
(tests/browser.py).
"""
from __future__ import annotations

import pytest
import requests

from tests.browser import (ADMIN, ADMIN_PASSWORD, DESKTOP, PHONE, axe_violations, chromium, login,  # noqa: F401
                           portal, screenshot)

pytestmark = pytest.mark.browser

WIDTHS = {"1366": DESKTOP, "390": PHONE}
DATASET = "lycees-publics"


def _resource_path(base: str) -> str:
    pkg = requests.get(f"{base}/api/3/action/package_show", params={"id": DATASET}, timeout=30).json()["result"]
    return f"/dataset/{DATASET}/resource/{pkg['resources'][0]['id']}"


PUBLIC_PAGES = {
    "home": "/",
    "search": "/dataset/?q=lyc%C3%A9es",
    "dataset": f"/dataset/{DATASET}",
    "resource": None,  # the first resource of DATASET, found through the API
    "partners": "/partenaires",
}


def _report(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = ["".join(map(str, node.get("target", []))) for node in violation.get("nodes", [])]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation.get('help')} -> {targets[:8]}")
    return "\n".join(lines)


def _check(driver, base: str, path: str, name: str, width: str) -> None:
    size = WIDTHS[width]
    driver.set_window_size(*size)
    driver.get(base + path)
    assert driver.execute_script("return document.documentElement.lang") == "fr"
    violations = axe_violations(driver)
    screenshot(driver, f"a11y-{name}-{width}.png", size[0])
    assert not violations, f"{name} at {width} px:\n{_report(violations)}"


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
def test_public_page_has_no_serious_violation(portal, chromium, name, width):
    chromium.delete_all_cookies()
    path = PUBLIC_PAGES[name] or _resource_path(portal)
    _check(chromium, portal, path, name, width)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_dataset_form_has_no_serious_violation(portal, chromium, width):
    from selenium.webdriver.common.by import By

    login(chromium, portal, ADMIN, ADMIN_PASSWORD)
    _check(chromium, portal, "/dataset/new", "dataset-form", width)
    assert chromium.find_elements(By.ID, "field-title")


def test_login_is_in_the_first_screen_of_a_phone(portal, chromium):
    """The header is compact on a phone: the « Connexion » link shows without scrolling
    or opening the menu."""
    from selenium.webdriver.common.by import By

    chromium.delete_all_cookies()
    chromium.set_window_size(*PHONE)
    try:
        chromium.get(f"{portal}/")
        links = [a for a in chromium.find_elements(By.CSS_SELECTOR, "a[href*='/user/login']") if a.is_displayed()]
        assert links, "no visible login link on a phone"
        top = chromium.execute_script("return arguments[0].getBoundingClientRect().bottom", links[0])
        assert top <= PHONE[1] / 3, f"the login link ends {top} px down the first screen"
        assert links[0].text.strip() == "Connexion"
    finally:
        chromium.set_window_size(*DESKTOP)
