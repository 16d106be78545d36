"""The dataset page in headless Chromium (issue 12, item 3), on the demo portal: a visitor
on a phone searches, opens a dataset and finds its title, publication mode and
« Télécharger » button on the first screen, the page no wider than the phone; a click on
« Télécharger » downloads the file, and once the counters are folded (the beat job's
public function, ``downloads.fold``) the page shows one more download for the file and
the dataset. On a desktop: the sidebar beside the content, the producer's description
cut between words, no serious accessibility violation in what this page draws.

Screenshots: test-artifacts/dataset-phone.png (390 px), dataset-desktop.png (1366 px).
"""
from __future__ import annotations

import re
import time

import pytest

from tests.browser import (DESKTOP, PHONE, axe_violations, chromium, click_and_wait, portal,  # noqa: F401 - fixtures
                           screenshot, squeeze)

pytestmark = pytest.mark.browser

DATASET = "lycees-publics"
TITLE = "Localisation des lycées publics ouverts"
LONG_TITLE = "Inventaire détaillé " + " ".join(["des équipements sportifs et culturels"] * 5)
LONG_NOTES = "Un paragraphe très long. " * 100 + "https://www.exemple.fr/" + "tres-long-chemin-" * 20


def count_of(text: str) -> int:
    """« 12 téléchargements » -> 12."""
    match = re.match(r"(\d[\d\s\u202f\xa0]*)", squeeze(text))
    assert match, text
    return int(re.sub(r"\D", "", match.group(1)))


def top(driver, element) -> float:
    """An element's top in the page (not the window)."""
    return driver.execute_script("return arguments[0].getBoundingClientRect().top + window.scrollY", element)


def test_on_a_phone_title_mode_and_download_first_then_the_count_goes_up(portal, chromium):  # noqa: F811
    from selenium.webdriver.common.by import By

    from ckanext.datasud import downloads

    driver = chromium
    driver.delete_all_cookies()
    driver.set_window_size(*PHONE)
    # a visitor searches, then opens the dataset from the results
    driver.get(f"{portal}/dataset/?q=lycées")
    link = driver.find_element(By.CSS_SELECTOR, f'.dataset-item a[href="/dataset/{DATASET}"]')
    click_and_wait(driver, link)
    assert driver.current_url.endswith(f"/dataset/{DATASET}")
    driver.execute_script("window.scrollTo(0, 0)")

    h1s = driver.find_elements(By.TAG_NAME, "h1")
    assert [squeeze(h.text) for h in h1s] == [TITLE]
    title = h1s[0]
    mode = driver.find_element(By.CSS_SELECTOR, ".datasud-publication-mode")
    item = driver.find_element(By.CSS_SELECTOR, "#dataset-resources .resource-item")
    button = item.find_element(By.CSS_SELECTOR, "a.datasud-download-button")
    sidebar = driver.find_element(By.CSS_SELECTOR, "aside.secondary")
    assert squeeze(mode.text) == "Données hébergées sur DataSud"
    assert squeeze(button.text).startswith("Télécharger (CSV")
    # title, mode, then the button, all on the first screen, the sidebar after them
    assert top(driver, title) < top(driver, mode) < top(driver, button) < top(driver, sidebar)
    assert top(driver, title) + title.size["height"] <= PHONE[1]
    assert top(driver, button) + button.size["height"] <= PHONE[1], top(driver, button)
    assert button.is_displayed()
    assert driver.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
    screenshot(driver, "dataset-phone.png", PHONE[0])

    # « Télécharger »: the file is served (and counted) by the portal
    driver.set_window_size(*PHONE)
    item = driver.find_element(By.CSS_SELECTOR, "#dataset-resources .resource-item")
    file_count = count_of(item.find_element(By.CSS_SELECTOR, ".datasud-download-count").text)
    dataset_count = count_of(driver.find_element(By.CSS_SELECTOR, ".datasud-dataset-download-count").text)
    button = item.find_element(By.CSS_SELECTOR, "a.datasud-download-button")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", button)
    button.click()
    # counted in Redis when the file is served; folded into PostgreSQL by the beat job's function
    from ckan.lib.redis import connect_to_redis
    conn = connect_to_redis()
    deadline = time.time() + 30
    while time.time() < deadline and not any(
            name.startswith(b"n:") for name in conn.hkeys(downloads.pending_key())):
        time.sleep(0.2)
    folded = downloads.fold()
    assert folded["downloads"] == 1, folded

    driver.get(f"{portal}/dataset/{DATASET}")
    item = driver.find_element(By.CSS_SELECTOR, "#dataset-resources .resource-item")
    assert count_of(item.find_element(By.CSS_SELECTOR, ".datasud-download-count").text) == file_count + 1
    assert count_of(driver.find_element(By.CSS_SELECTOR, ".datasud-dataset-download-count").text) \
        == dataset_count + 1

    # odd data: a very long title, a description with a word longer than the phone, no file
    from tests import factories
    factories.Dataset(name="titre-tres-long", title=LONG_TITLE, notes=LONG_NOTES)
    driver.get(f"{portal}/dataset/titre-tres-long")
    title = driver.find_element(By.TAG_NAME, "h1")
    assert squeeze(title.text) == LONG_TITLE
    assert top(driver, title) < PHONE[1] / 2
    assert driver.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]


def test_on_a_desktop_the_sidebar_beside_and_nothing_serious_for_axe(portal, chromium):  # noqa: F811
    from selenium.webdriver.common.by import By

    driver = chromium
    driver.delete_all_cookies()
    driver.set_window_size(*DESKTOP)
    driver.get(f"{portal}/dataset/{DATASET}")
    primary = driver.find_element(By.CSS_SELECTOR, ".wrapper > .primary")
    sidebar = driver.find_element(By.CSS_SELECTOR, "aside.secondary")
    assert sidebar.location["x"] + sidebar.size["width"] <= primary.location["x"] + 1
    assert abs(sidebar.location["y"] - primary.location["y"]) < 5
    # the producer's description breaks between words, not anywhere (CKAN: break-all)
    description = driver.find_element(By.CSS_SELECTOR, ".datasud-producer-description")
    assert description.value_of_css_property("word-break") == "normal"
    # the map of the extent, titled in French, drawn by ckanext-spatial
    dataset_map = driver.find_element(By.CSS_SELECTOR, "#dataset-map")
    assert squeeze(dataset_map.find_element(By.TAG_NAME, "h2").text) == "Étendue géographique"
    deadline = time.time() + 20
    while time.time() < deadline and not dataset_map.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path"):
        time.sleep(0.2)
    assert dataset_map.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path"), "the extent is not drawn"
    screenshot(driver, "dataset-desktop.png", DESKTOP[0])

    driver.get(f"{portal}/dataset/{DATASET}")
    violations = axe_violations(driver)
    assert not violations, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
