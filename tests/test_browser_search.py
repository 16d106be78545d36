"""The search in a real browser (headless Chromium) on the demo portal: a search from the
home page's box, a faceted search (a theme, then a licence), the advanced search opened
from the home page's link and searched by an update period, and the page on a phone
(« Filtrer » opens the facets, nothing wider than the screen). Screenshots:
test-artifacts/search-desktop.png (1366 px) and search-phone.png (390 px).
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser import (DESKTOP, PHONE, axe_violations, chromium, click_and_wait, portal,  # noqa: F401
                           screenshot, squeeze)

pytestmark = pytest.mark.browser


def screenshot_dir():
    from tests.test_browser import ARTIFACTS
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _count(driver) -> int:
    from selenium.webdriver.common.by import By
    return len(driver.find_elements(By.CSS_SELECTOR, ".dataset-list .dataset-item"))


def _query(driver) -> dict:
    return parse_qs(urlsplit(driver.current_url).query)


def test_search_from_home_then_facets(portal, chromium):
    from selenium.webdriver.common.by import By

    driver = chromium
    driver.set_window_size(*DESKTOP)
    driver.get(portal + "/")
    box = driver.find_element(By.ID, "field-main-search")
    box.send_keys("cinemas")
    click_and_wait(driver, box.find_element(By.XPATH, "ancestor::form//button[@type='submit']"))
    assert urlsplit(driver.current_url).path == "/dataset/" and _query(driver)["q"] == ["cinemas"]
    titles = [squeeze(e.text) for e in driver.find_elements(By.CSS_SELECTOR, ".dataset-heading a")]
    assert any("Cinémas" in t for t in titles), titles

    # faceted search: all the data, a theme, then a licence
    driver.get(portal + "/dataset/")
    everything = _count(driver)
    theme = driver.find_element(By.XPATH, "//nav[@aria-label='Thèmes']//a[contains(., 'Culture, patrimoine et tourisme')]")
    click_and_wait(driver, theme)
    assert _query(driver)["vocab_themes"] == ["culture-tourisme"]
    in_theme = _count(driver)
    assert 0 < in_theme < everything
    pills = squeeze(driver.find_element(By.CSS_SELECTOR, ".filter-list").text)
    assert "Culture, patrimoine et tourisme" in pills
    licence = driver.find_element(By.XPATH, "//nav[@aria-label='Licences']//a[contains(., 'Licence Ouverte')]")
    click_and_wait(driver, licence)
    assert _query(driver)["license_id"] == ["etalab-2.0"] and _query(driver)["vocab_themes"] == ["culture-tourisme"]
    assert 0 < _count(driver) <= in_theme
    # producers' names whole (not cut with « … »), the facet labels wrap inside the column
    producers = [squeeze(e.text) for e in driver.find_elements(
        By.XPATH, "//nav[@aria-label='Producteurs']//span[@class='item-label']")]
    assert producers and not any(p.endswith(("...", "…")) for p in producers)
    screenshot(driver, "search-desktop.png", DESKTOP[0])


def test_advanced_search_from_home_by_update_period(portal, chromium):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chromium
    driver.set_window_size(*DESKTOP)
    driver.get(portal + "/")
    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "a.datasud-advanced-search"))
    assert _query(driver).get("avance") == ["1"]
    panel = driver.find_element(By.ID, "datasud-advanced")
    assert panel.is_displayed() and panel.size["height"] > 200
    toggle = driver.find_element(By.CSS_SELECTOR, ".datasud-advanced-toggle")
    assert toggle.get_attribute("aria-expanded") == "true"
    everything = _count(driver)
    assert everything > 0
    # the map filter of ckanext-spatial inside the panel, drawn (Leaflet) and in French
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#dataset-map-container.leaflet-container"))
    assert driver.find_element(By.ID, "dataset-map-container").size["height"] >= 200
    assert "Zone géographique" in panel.text
    pencil = driver.find_element(By.CSS_SELECTOR, "#dataset-map-container .leaflet-control-custom-button")
    assert pencil.get_attribute("title") == "Dessiner une zone"
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", pencil)
    pencil.click()
    WebDriverWait(driver, 20).until(lambda d: any(e.is_displayed() for e in d.find_elements(By.CSS_SELECTOR, ".modal .btn-primary")))
    dialog = driver.find_element(By.CSS_SELECTOR, ".modal.show")
    assert squeeze(dialog.find_element(By.CSS_SELECTOR, ".modal-title").text) == "Dessinez sur la carte la zone à rechercher :"
    assert squeeze(dialog.find_element(By.CSS_SELECTOR, ".btn-primary").text) == "Appliquer"
    assert driver.execute_script("return document.documentElement.scrollWidth") <= DESKTOP[0]
    dialog.find_element(By.CSS_SELECTOR, ".btn-cancel").click()
    WebDriverWait(driver, 20).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".modal.show"))

    # a period that holds none of the demo data, then one that holds all of it (its
    # datasets declare no update date: their last change, today, counts)
    def search_period(start: str, end: str) -> None:
        panel = driver.find_element(By.ID, "datasud-advanced")
        for field, value in (("advanced-modified-from", start), ("advanced-modified-to", end)):
            driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, field), value)
        click_and_wait(driver, panel.find_element(By.CSS_SELECTOR, "button[type='submit']"))

    search_period("2001-01-01", "2001-12-31")
    assert _query(driver)["ext_modified_from"] == ["2001-01-01"] and _query(driver)["ext_modified_to"] == ["2001-12-31"]
    assert _count(driver) == 0
    assert driver.find_element(By.ID, "datasud-advanced").is_displayed()  # a criterion keeps it open
    today = dt.date.today()
    search_period((today - dt.timedelta(days=2)).isoformat(), (today + dt.timedelta(days=1)).isoformat())
    assert _count(driver) == everything
    assert driver.find_element(By.ID, "advanced-modified-from").get_attribute("value") == \
        (today - dt.timedelta(days=2)).isoformat()

    # closed and opened again by its button
    toggle = driver.find_element(By.CSS_SELECTOR, ".datasud-advanced-toggle")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "false" and not driver.find_element(By.ID, "datasud-advanced").is_displayed()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and driver.find_element(By.ID, "datasud-advanced").is_displayed()

    # a wrong date and a wrong box in the URL: said in French, the search still answers;
    # the box is not sent again by the map
    driver.get(portal + "/dataset/?avance=1&ext_modified_from=2024-13-45&ext_bbox=a,b,c,d")
    notice = squeeze(driver.find_element(By.CSS_SELECTOR, ".datasud-search-notices").text)
    assert "« 2024-13-45 » n'est pas une date" in notice and "« a,b,c,d »" in notice
    assert _count(driver) == everything
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#dataset-map-container.leaflet-container"))
    assert "ext_bbox" not in driver.current_url
    assert driver.find_element(By.ID, "ext_bbox").get_attribute("value") == ""


def test_search_page_on_a_phone(portal, chromium):
    from selenium.webdriver.common.by import By

    driver = chromium
    driver.set_window_size(*PHONE)
    try:
        driver.get(portal + "/dataset/?avance=1")
        assert driver.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
        facets = driver.find_element(By.CSS_SELECTOR, ".secondary .filters")
        assert not facets.is_displayed()
        results_top = driver.find_element(By.CSS_SELECTOR, ".dataset-list").location["y"]
        button = driver.find_element(By.CSS_SELECTOR, "button.show-filters")
        assert button.is_displayed() and squeeze(button.text) == "Filtrer"
        screenshot(driver, "search-phone.png", PHONE[0])
        driver.set_window_size(*PHONE)
        driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", button)
        button.click()
        assert facets.is_displayed()
        assert "Thèmes" in facets.text and "Fréquence de mise à jour" in facets.text
        driver.save_screenshot(str(screenshot_dir() / "search-phone-filters.png"))
        driver.find_element(By.CSS_SELECTOR, ".hide-filters").click()
        assert not facets.is_displayed()
        assert results_top > 0
        # a filtered search: still no horizontal scroll (long producer names, pills)
        driver.get(portal + "/dataset/?organization=region-sud&vocab_themes=culture-tourisme&avance=1")
        assert driver.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
    finally:
        driver.set_window_size(*DESKTOP)


def test_search_page_accessibility(portal, chromium):
    """No serious or critical axe-core violation on the search page, panel open."""
    driver = chromium
    driver.set_window_size(*DESKTOP)
    driver.get(portal + "/dataset/?avance=1&vocab_themes=culture-tourisme")
    violations = axe_violations(driver)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
