"""The resource page and its previews in headless Chromium (issue 12): a CSV as a table,
a GeoJSON on the map (drawn although no tile server answers: the tests have no
Internet), a PDF shown by the browser's viewer inside the page. On a phone (390 px, the
device emulated, not a wider window) the title comes first, then the « Télécharger »
button, then the information, and the page is no wider than the phone.

The web app of config/test.ini serves one dataset of stored files (the demo's CSV, a
GeoJSON, a PDF), not the whole demo: loading the demo took most of a minute.

Screenshots: test-artifacts/resource-desktop.png (1366 px), resource-phone.png (390 px),
resource-map.png, resource-pdf.png.
"""
from __future__ import annotations

import json
import time

import pytest

from tests.browser import ARTIFACTS, axe_violations, chromium, squeeze  # noqa: F401 - fixtures
from tests.test_browser import ROOT, serving_web_app
from tests.test_preview import CALES, PDF_BYTES, stored_files_dataset

pytestmark = pytest.mark.browser

DEMO_CSV = ROOT / "ckanext-datasud" / "ckanext" / "datasud" / "demo" / "lycees-publics.csv"


@pytest.fixture(scope="module")
def files(clean_module_db):
    """A public dataset with the demo's CSV, a GeoJSON and a PDF in DataSud's storage,
    committed, and the web app of config/test.ini serving it: {kind: resource page URL}."""
    made = stored_files_dataset({"lycees-publics.csv": (DEMO_CSV.read_bytes(), "CSV"),
                                 "cales.geojson": (json.dumps(CALES).encode(), "GeoJSON"),
                                 "deliberation.pdf": (PDF_BYTES, "PDF")},
                                name="lycees-publics", title="Localisation des lycées publics")
    with serving_web_app("test-browser-resource") as url:
        yield {kind: f"{url}/dataset/lycees-publics/resource/{made[name]['id']}"
               for kind, name in (("CSV", "lycees-publics.csv"), ("GeoJSON", "cales.geojson"),
                                  ("PDF", "deliberation.pdf"))}


def emulate(driver, width: int, height: int) -> None:
    """The device's width (a headless window is never narrower than 500 px)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 768})


def full_page(driver, name: str, width: int) -> None:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    emulate(driver, width, min(int(height), 8000))
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / name))
    assert (ARTIFACTS / name).stat().st_size > 5_000


def top(driver, element) -> float:
    return driver.execute_script("return arguments[0].getBoundingClientRect().top + window.scrollY", element)


def test_csv_preview_on_a_desktop_and_a_phone(files, chromium):  # noqa: F811
    from selenium.webdriver.common.by import By

    driver = chromium
    try:
        emulate(driver, 1366, 900)
        driver.get(files["CSV"])
        title = driver.find_element(By.CSS_SELECTOR, ".module-resource h1")
        button = driver.find_element(By.CSS_SELECTOR, ".module-resource .datasud-download-button")
        preview = driver.find_element(By.ID, "apercu")
        assert squeeze(title.text) == "lycees-publics.csv"
        assert squeeze(button.text) == "Télécharger (CSV, 591 o)"
        assert top(driver, title) < top(driver, button) < top(driver, preview)
        headers = [squeeze(th.text) for th in preview.find_elements(By.CSS_SELECTOR, "thead th")]
        assert headers[:3] == ["uai", "nom", "commune"]
        assert len(preview.find_elements(By.CSS_SELECTOR, "tbody tr")) == 7
        serious = [v for v in axe_violations(driver)
                   if any(".module-resource" in " ".join(map(str, n.get("target", []))) or "apercu" in n.get("html", "")
                          for n in v["nodes"])]
        assert serious == [], json.dumps(serious, ensure_ascii=False)[:2000]
        full_page(driver, "resource-desktop.png", 1366)

        emulate(driver, 390, 844)
        driver.get(files["CSV"])
        assert driver.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]") == [390, 390]
        title = driver.find_element(By.CSS_SELECTOR, ".module-resource h1")
        button = driver.find_element(By.CSS_SELECTOR, ".module-resource .datasud-download-button")
        information = driver.find_element(By.CSS_SELECTOR, ".datasud-resource-info")
        others = driver.find_element(By.CSS_SELECTOR, "aside.secondary")
        assert top(driver, title) < top(driver, button) < top(driver, information) < top(driver, others)
        assert button.rect["y"] + button.rect["height"] <= 844  # on the first screen
        assert button.rect["x"] >= 0 and button.rect["x"] + button.rect["width"] <= 390
        # the table scrolls inside its frame, the page does not
        frame = driver.find_element(By.CSS_SELECTOR, "#apercu .table-responsive")
        assert frame.rect["x"] + frame.rect["width"] <= 390
        full_page(driver, "resource-phone.png", 390)
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_geojson_on_the_map_and_pdf_in_the_page(files, chromium):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chromium
    try:
        emulate(driver, 1366, 900)
        driver.get(files["GeoJSON"])
        element = driver.find_element(By.CSS_SELECTOR, "#apercu .datasud-preview-map")
        WebDriverWait(driver, 30).until(lambda d: element.get_attribute("data-features"))
        assert element.get_attribute("data-features") == "3"
        # the features are vectors: drawn without any tile (none can load here)
        shapes = element.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path")
        assert len(shapes) == 3 and all(s.get_attribute("d") for s in shapes)
        assert element.rect["height"] >= 300
        shapes[0].click()  # a feature's properties, as text
        WebDriverWait(driver, 10).until(  # textContent: the popup fades in
            lambda d: "Cale du Vieux-Port" in d.execute_script(
                "var p = document.querySelector('.leaflet-popup-content'); return p ? p.textContent : ''"))
        full_page(driver, "resource-map.png", 1366)

        emulate(driver, 1366, 900)
        driver.get(files["PDF"])
        frame = driver.find_element(By.CSS_SELECTOR, "#apercu iframe.datasud-preview-pdf")
        assert frame.get_attribute("src").endswith("/apercu") and frame.rect["height"] >= 400
        driver.switch_to.frame(frame)
        WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
        assert driver.execute_script("return document.contentType") == "application/pdf"  # the viewer, not a download
        driver.switch_to.default_content()
        time.sleep(1)  # the viewer paints the page after the document is complete
        full_page(driver, "resource-pdf.png", 1366)
    finally:
        driver.switch_to.default_content()
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
