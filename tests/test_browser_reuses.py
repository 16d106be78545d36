"""Declaring and moderating a reuse in a real browser (headless Chromium): a user logs in,
declares a reuse of a demo dataset through the form (with an image), the programme team
publishes it from the moderation queue, and an anonymous visitor finds it on the dataset's
page, on /reutilisations and on its own page. Screenshots: test-artifacts/reuses-*.png
(reuses-desktop.png at 1366 px, reuses-phone.png at 390 px)."""
from __future__ import annotations

import struct
import zlib

import pytest
from ckan.tests import factories as ckan_factories

from tests.browser import (ADMIN, ADMIN_PASSWORD, DESKTOP, PHONE, axe_violations, chromium, click_and_wait,  # noqa: F401
                           login, portal, screenshot)

pytestmark = pytest.mark.browser

PASSWORD = "Mot-de-passe-de-Camille-2026"
TITLE = "Carte des lycées de la région"


def png(width: int = 480, height: int = 270) -> bytes:
    """A real PNG (a blue-green gradient), written without an imaging library."""
    rows = b"".join(b"\0" + bytes(v for x in range(width) for v in (20 + x * 60 // width, 90 + y * 100 // height, 160))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def serious_violations_in(driver, selector: str) -> list:
    """axe-core's serious and critical violations on nodes of this page's own content."""
    found = []
    for violation in axe_violations(driver):
        nodes = [n for n in violation["nodes"] if any(selector in " ".join(t) if isinstance(t, list) else selector in t
                                                      for t in n.get("target", []))
                 or selector.strip(".") in n.get("html", "")]
        if nodes:
            found.append((violation["id"], [n["html"][:120] for n in nodes]))
    return found


def test_declaring_and_moderating_a_reuse(portal, chromium, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    ckan_factories.User(name="camille-reutilise", password=PASSWORD, email="camille@reuses.test")
    image = tmp_path / "carte.png"
    image.write_bytes(png())

    # a logged-in user declares a reuse from the dataset's page (or the form with the dataset)
    login(chromium, portal, "camille-reutilise", PASSWORD)
    chromium.get(f"{portal}/dataset/lycees-publics")
    links = chromium.find_elements(By.CSS_SELECTOR, ".datasud-dataset-reuses a.datasud-reuse-declare")
    if links:
        click_and_wait(chromium, links[0])
    else:  # the dataset page does not include the reuses' section
        chromium.get(f"{portal}/reutilisations/nouvelle?jeu=lycees-publics")
    assert chromium.find_element(By.TAG_NAME, "h1").text == "Déclarer une réutilisation"
    assert chromium.find_element(By.ID, "reuse-datasets").get_attribute("value") == "lycees-publics"
    chromium.find_element(By.ID, "reuse-title").send_keys(TITLE)
    Select(chromium.find_element(By.ID, "reuse-type")).select_by_value("visualization")
    chromium.find_element(By.ID, "reuse-url").send_keys("javascript:alert(1)")
    chromium.find_element(By.ID, "reuse-description").send_keys(
        "Une carte interactive des lycées publics, avec leurs filières.\nMise à jour chaque rentrée.")
    chromium.find_element(By.ID, "reuse-image-upload").send_keys(str(image))
    click_and_wait(chromium, chromium.find_element(By.CSS_SELECTOR, "button.datasud-reuse-submit"))
    # refused in French, nothing typed lost
    assert chromium.find_element(By.ID, "reuse-url-error").text == \
        "L'adresse de la réutilisation doit commencer par http:// ou https://."
    assert chromium.find_element(By.ID, "reuse-title").get_attribute("value") == TITLE
    screenshot(chromium, "reuses-form-error.png")
    url = chromium.find_element(By.ID, "reuse-url")
    url.clear()
    url.send_keys("https://carto.exemple.fr/lycees")
    chromium.find_element(By.ID, "reuse-image-upload").send_keys(str(image))  # a file input is never kept
    click_and_wait(chromium, chromium.find_element(By.CSS_SELECTOR, "button.datasud-reuse-submit"))
    assert "Merci" in chromium.find_element(By.CSS_SELECTOR, ".flash-messages, .alert-success").text
    assert "attend la modération" in chromium.find_element(By.CSS_SELECTOR, ".datasud-reuse-state").text
    reuse_page = chromium.current_url
    assert chromium.find_element(By.CSS_SELECTOR, "img.datasud-reuse-image").get_property("naturalWidth") == 480

    # not public yet
    chromium.delete_all_cookies()
    chromium.get(reuse_page)
    assert TITLE not in chromium.page_source
    chromium.get(f"{portal}/reutilisations")
    assert TITLE not in chromium.page_source

    # the programme team publishes it from the moderation queue
    login(chromium, portal, ADMIN, ADMIN_PASSWORD)
    chromium.get(f"{portal}/reutilisations")
    click_and_wait(chromium, chromium.find_element(By.CSS_SELECTOR, "a.datasud-reuse-moderation-link"))
    item = chromium.find_element(By.XPATH, f'//li[contains(@class, "datasud-reuse-pending")][.//a[text()="{TITLE}"]]')
    assert "camille-reutilise" in item.text
    screenshot(chromium, "reuses-moderation.png")
    click_and_wait(chromium, item.find_element(By.CSS_SELECTOR, "button.datasud-reuse-publish"))
    assert f"« {TITLE} » est publiée." in chromium.find_element(By.CSS_SELECTOR, ".flash-messages, .alert").text
    assert not chromium.find_elements(By.XPATH, f'//a[text()="{TITLE}"]')

    # an anonymous visitor finds it on the dataset's page, the list and its own page
    chromium.delete_all_cookies()
    chromium.get(f"{portal}/dataset/lycees-publics")
    section = chromium.find_elements(By.CSS_SELECTOR, ".datasud-dataset-reuses")
    if section:
        assert TITLE in section[0].text
        screenshot(chromium, "reuses-dataset.png")
    chromium.get(f"{portal}/reutilisations")
    card = chromium.find_element(By.XPATH, f'//section[contains(@class, "datasud-reuse-card")][.//a[text()="{TITLE}"]]')
    assert "Visualisation" in card.text and "Localisation des lycées publics ouverts" in card.text
    assert card.find_element(By.TAG_NAME, "img").get_property("naturalWidth") == 480
    assert serious_violations_in(chromium, ".datasud-reuse") == []
    screenshot(chromium, "reuses-desktop.png", DESKTOP[0])
    screenshot(chromium, "reuses-phone.png", PHONE[0])
    click_and_wait(chromium, card.find_element(By.CSS_SELECTOR, "a.datasud-reuse-title"))
    assert chromium.find_element(By.TAG_NAME, "h1").text == TITLE
    assert "Mise à jour chaque rentrée." in chromium.find_element(By.CSS_SELECTOR, ".datasud-reuse-description").text
    assert chromium.find_element(By.CSS_SELECTOR, "a.datasud-reuse-url").get_attribute("href") == \
        "https://carto.exemple.fr/lycees"
    assert not chromium.find_elements(By.CSS_SELECTOR, ".datasud-reuse-state, .datasud-reuse-moderation")
    assert serious_violations_in(chromium, ".datasud-reuse") == []
    screenshot(chromium, "reuses-page-phone.png", PHONE[0])
