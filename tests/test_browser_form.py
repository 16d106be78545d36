"""The partner's dataset form in headless Chromium (issue 12): a partner's editor creates a
dataset, ticking two themes, picking a commune (whose extent the map shows) and drawing
an extent on the map; the page's height with its folded sections, no horizontal scroll on
a phone. Screenshots: test-artifacts/form-desktop.png (1366 px), form-phone.png (390 px).

The form before issue 12 (every field in one column, themes in a multiple select, the
GeoJSON box among the basics) measured 3,672 px at 1366 px with the demo data.
"""
from __future__ import annotations

import json

import pytest
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from tests.browser import (DESKTOP, PHONE, chromium, click_and_wait, login, portal,  # noqa: F401 - fixtures
                           screenshot)

pytestmark = pytest.mark.browser

PASSWORD = "Mot-de-passe-du-formulaire-2024"
FORMER_HEIGHT = 3672  # px at 1366 px, the former form (see the module docstring)
MARSEILLE = [5.23, 43.17, 5.53, 43.39]


@pytest.fixture(scope="module")
def editor(portal):  # noqa: F811
    """An editor of a demo partner with a convention in force (Ville de Marseille)."""
    user = ckan_factories.User(name="editrice-formulaire", password=PASSWORD)
    helpers.call_action("organization_member_create", id="ville-de-marseille", username=user["name"],
                        role="editor")
    return user["name"]


def height(driver) -> int:
    return driver.execute_script("return document.documentElement.scrollHeight")


def no_horizontal_scroll(driver) -> bool:
    return driver.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def value(driver, element_id: str) -> str:
    from selenium.webdriver.common.by import By
    return driver.find_element(By.ID, element_id).get_attribute("value")


def test_a_partner_creates_a_dataset_with_the_form(portal, editor, chromium, capsys):  # noqa: F811
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chromium
    login(driver, portal, editor, PASSWORD)
    driver.get(f"{portal}/dataset/new")
    folded = height(driver)
    assert folded < FORMER_HEIGHT * 0.8, folded
    driver.set_window_size(*PHONE)
    folded_phone = height(driver)
    assert no_horizontal_scroll(driver)
    driver.set_window_size(*DESKTOP)
    with capsys.disabled():
        print(f"\ndataset form height, sections folded: {folded} px at {DESKTOP[0]} px "
              f"(former form: {FORMER_HEIGHT} px), {folded_phone} px at {PHONE[0]} px")

    driver.find_element(By.ID, "field-title").send_keys("Aires de jeux de Marseille")
    driver.find_element(By.ID, "field-notes").send_keys("Les aires de jeux des parcs et jardins.")
    for theme in ("social-sante-sports", "amenagement-urbanisme"):
        box = driver.find_element(By.ID, f"field-themes-{theme}")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", box)
        driver.find_element(By.CSS_SELECTOR, f'label[for="field-themes-{theme}"]').click()
        assert box.is_selected()

    # the folded section opens; the picker and the map are there with JavaScript
    geography = driver.find_element(By.ID, "form-section-geography")
    title = geography.find_element(By.CSS_SELECTOR, "summary .datasud-form-section-title")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", title)
    title.click()
    assert geography.get_attribute("open") is not None
    picker = driver.find_element(By.ID, "datasud-territory")
    WebDriverWait(driver, 10).until(lambda d: picker.is_displayed() and d.execute_script(
        "return document.querySelectorAll('#datasud-territory-list option').length") > 900)
    status = driver.find_element(By.ID, "datasud-territory-status")

    # a commune whose extent is not known: code and name filled, the partner draws the extent
    picker.send_keys("aubagne", Keys.ENTER)
    assert (value(driver, "field-spatial_level"), value(driver, "field-spatial_code"),
            value(driver, "field-spatial_text")) == ("commune", "13005", "Aubagne")
    assert "dessinez-la sur la carte" in status.text and value(driver, "field-spatial") == ""
    map_box = driver.find_element(By.CSS_SELECTOR, ".datasud-extent-map")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", map_box)
    driver.find_element(By.CSS_SELECTOR, ".leaflet-draw-draw-rectangle").click()
    ActionChains(driver).move_to_element_with_offset(map_box, -60, -40).click_and_hold() \
        .move_by_offset(120, 80).release().perform()
    drawn = json.loads(value(driver, "field-spatial"))
    assert drawn["type"] == "Polygon" and len(drawn["coordinates"][0]) == 5
    assert "L'emprise dessinée sur la carte est prise en compte." in status.text

    # Marseille: its bounding box becomes the extent, and the map shows it
    picker.clear()
    picker.send_keys("Marseille \u2014 commune (13055)")
    assert (value(driver, "field-spatial_level"), value(driver, "field-spatial_code"),
            value(driver, "field-spatial_text")) == ("commune", "13055", "Marseille")
    west, south, east, north = MARSEILLE
    assert json.loads(value(driver, "field-spatial")) == {
        "type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]]}
    assert "l'emprise sont remplis" in status.text
    shapes = driver.find_elements(By.CSS_SELECTOR, ".datasud-extent-map .leaflet-overlay-pane path")
    assert len(shapes) == 1  # the drawn rectangle replaced by Marseille's extent
    box = driver.execute_script("return arguments[0].getBoundingClientRect().toJSON()", map_box)
    shape = driver.execute_script("return arguments[0].getBoundingClientRect().toJSON()", shapes[0])
    assert box["left"] <= shape["left"] < shape["right"] <= box["right"]
    assert box["top"] <= shape["top"] < shape["bottom"] <= box["bottom"]
    assert shape["width"] > 100 and shape["height"] > 100  # zoomed onto it

    screenshot(driver, "form-desktop.png", DESKTOP[0])
    driver.set_window_size(*PHONE)
    assert no_horizontal_scroll(driver)
    screenshot(driver, "form-phone.png", PHONE[0])

    click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, '#dataset-edit button[name="save"]'))
    assert "/resource/new" in driver.current_url, driver.current_url
    dataset = helpers.call_action("package_show", id="aires-de-jeux-de-marseille")
    assert dataset["themes"] == ["social-sante-sports", "amenagement-urbanisme"]
    assert (dataset["spatial_level"], dataset["spatial_code"], dataset["spatial_text"]) == \
        ("commune", "13055", "Marseille")
    assert json.loads(dataset["spatial"])["coordinates"][0][2] == [east, north]
    assert dataset["private"] is True and dataset["organization"]["name"] == "ville-de-marseille"
