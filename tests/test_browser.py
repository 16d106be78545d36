"""The Partenaires page renders in a real browser (headless Chromium) with the demo partners.

The demo data is loaded into the test database, then the web app of config/test.ini is
served by gunicorn on a free port of 127.0.0.1, and Debian's Chromium (driven by
Debian's chromedriver: Selenium Manager never downloads anything) opens the pages.
Screenshots go to test-artifacts/.
"""
from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("clean_db", "clean_index")]

ROOT = Path(__file__).resolve().parent.parent
TEST_INI = ROOT / "config" / "test.ini"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ADMIN, ADMIN_PASSWORD = "admin", "Mot-de-passe-du-test-navigateur-2024"
DEMO_PARTNERS = ["Arcade Provence-Alpes-Côte d'Azur", "AtmoSud", "CRIGE Provence-Alpes-Côte d'Azur",
                 "Ville de Marseille"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo_data(clean_db, clean_index):
    """The demo portal's content, committed to the test database and indexed."""
    from ckanext.datasud import demo

    demo.ensure_sysadmin(ADMIN, ADMIN_PASSWORD, "admin@datasud.test")
    counts = demo.load(ADMIN)
    assert counts["conventions"] == 4
    return counts


@contextlib.contextmanager
def serving_web_app(log_name: str = "test-browser-web"):
    """The web app of config/test.ini served by gunicorn on a free port of 127.0.0.1 (its
    base URL) until the block ends; its log in var/log/<log_name>-<port>.log."""
    port = free_port()
    env = dict(os.environ, CKAN_INI=str(TEST_INI), CKAN_WEB_PORT=str(port))
    (ROOT / "var" / "log").mkdir(parents=True, exist_ok=True)
    log_path = ROOT / "var" / "log" / f"{log_name}-{port}.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--chdir", str(ROOT / "config"), "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--timeout", "120", "--no-control-socket", "wsgi:application"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            assert server.poll() is None, f"the web app stopped: see {log_path}"
            try:
                if requests.get(f"{url}/api/3/action/status_show", timeout=5).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):  # not listening, or still booting
                pass
            if time.time() > deadline:
                pytest.fail(f"the web app did not answer within 90 s: see {log_path}")
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


@pytest.fixture
def web_app(demo_data):
    """The web app of config/test.ini, served once the demo data is committed."""
    with serving_web_app() as url:
        yield url


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK), \
        "Chromium and its driver are installed by `bin/datasud test` (Debian packages chromium, chromium-driver)"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,1000", f"--user-data-dir={tmp_path / 'chromium-profile'}", "--lang=fr-FR"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def screenshot(driver, name: str) -> Path:
    """The whole page (not only the window) as test-artifacts/<name>."""
    ARTIFACTS.mkdir(exist_ok=True)
    driver.execute_script("window.scrollTo({top: 0, behavior: 'instant'})")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(1000, min(int(height) + 40, 6000)))
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 1000)
    assert path.stat().st_size > 10_000
    return path


def click_and_wait(driver, button) -> None:
    """Click a link or a form's button as a person would (scrolled into the middle of the window
    first), and wait for the page the form leads to."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", button)
    button.click()
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(button))
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def squeeze(value: str) -> str:
    return re.sub(r"[\s\u202f\xa0]+", " ", value).strip()


def test_partners_page_in_a_browser(web_app, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{web_app}/partenaires")
    assert browser.title.startswith("Partenaires")
    assert squeeze(browser.find_element(By.TAG_NAME, "h1").text) == "Les partenaires de DataSud"

    cards = browser.find_elements(By.CSS_SELECTOR, ".datasud-partner")
    names = [squeeze(card.find_element(By.CSS_SELECTOR, ".datasud-partner-name").text) for card in cards]
    assert names == DEMO_PARTNERS
    # the Région publishes through an override, not a convention: it is not a convention partner
    assert not any("Région Sud" in name for name in names)

    marseille = browser.find_element(By.CSS_SELECTOR, '.datasud-partner[data-partner="ville-de-marseille"]')
    assert marseille.is_displayed()
    assert squeeze(marseille.find_element(By.CSS_SELECTOR, ".datasud-partner-since").text) == \
        "Partenaire depuis le 15/01/2013"
    assert squeeze(marseille.find_element(By.CSS_SELECTOR, ".datasud-partner-type").text) == "Commune"
    assert re.fullmatch(r"\d+ jeux? de données publics?",
                        squeeze(marseille.find_element(By.CSS_SELECTOR, ".datasud-partner-datasets").text))
    crige = browser.find_element(By.CSS_SELECTOR, '.datasud-partner[data-partner="crige-paca"]')
    assert squeeze(crige.find_element(By.CSS_SELECTOR, ".datasud-partner-since").text) == \
        "Partenaire depuis le 01/09/2012"
    # every logo (or its placeholder) is loaded and shown
    for image in browser.find_elements(By.CSS_SELECTOR, "img.datasud-partner-logo"):
        assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image)
    # the cards sit side by side on a desktop screen
    tops = {card.location["y"] for card in cards[:2]}
    assert len(tops) == 1
    screenshot(browser, "partenaires.png")

    click_and_wait(browser, marseille.find_element(By.CSS_SELECTOR, ".datasud-partner-name"))
    assert browser.current_url.endswith("/organization/ville-de-marseille")


def test_home_page_key_figures_in_a_browser(web_app, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{web_app}/")
    block = browser.find_element(By.CSS_SELECTOR, ".datasud-key-figures")
    browser.execute_script("arguments[0].scrollIntoView()", block)
    assert block.is_displayed()
    assert "Chiffres clés" in block.text
    figures = {item.get_attribute("data-figure"): squeeze(item.text)
               for item in block.find_elements(By.CSS_SELECTOR, ".datasud-key-figure")}
    assert figures["partners_with_convention"] == "4 partenaires sous convention"
    assert re.fullmatch(r"[1-9]\d* organisations productrices", figures["producer_organisations"])
    assert re.fullmatch(r"[1-9]\d* jeux de données", figures["datasets"])
    assert set(figures) == {"partners_with_convention", "producer_organisations", "datasets", "reuses", "downloads"}
    screenshot(browser, "accueil.png")

    click_and_wait(browser, block.find_element(By.CSS_SELECTOR, '[data-figure="partners_with_convention"] a'))
    assert browser.current_url.endswith("/partenaires")


def test_conventions_tab_in_a_browser(web_app, browser):
    """The programme team logs in, opens an organisation's Conventions tab and records a
    convention through the form (with its CSRF token, as a browser sends it)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(f"{web_app}/user/login")
    browser.find_element(By.ID, "field-login").send_keys(ADMIN)
    browser.find_element(By.ID, "field-password").send_keys(ADMIN_PASSWORD)
    click_and_wait(browser, browser.find_element(
        By.XPATH, '//input[@id="field-password"]/ancestor::form//button[@type="submit"]'))
    assert "Administrateur DataSud" in browser.find_element(By.CSS_SELECTOR, ".account-masthead").text

    browser.get(f"{web_app}/organization/ville-de-marseille")
    tab = browser.find_element(By.CSS_SELECTOR, 'a[href="/organization/conventions/ville-de-marseille"]')
    assert "Conventions" in tab.text
    click_and_wait(browser, tab)
    row = browser.find_element(By.CSS_SELECTOR, 'tr.datasud-convention[data-reference="CONV-2013-004"]')
    assert "Convention de partenariat" in row.text and "En vigueur" in row.text
    assert "du 15/01/2013 au 14/01/2028" in row.text
    screenshot(browser, "conventions.png")

    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "a.datasud-convention-new"))
    form = browser.find_element(By.ID, "datasud-convention-form")
    form.find_element(By.ID, "field-reference").send_keys("CONV-2024-100")
    Select(form.find_element(By.ID, "field-kind")).select_by_value("harvesting")
    Select(form.find_element(By.ID, "field-status")).select_by_value("in_force")
    for field, value in (("field-starts-on", "2024-06-01"), ("field-ends-on", "2024-01-01")):
        browser.execute_script("arguments[0].value = arguments[1]", form.find_element(By.ID, field), value)
    click_and_wait(browser, form.find_element(By.CSS_SELECTOR, 'button[type="submit"][name="save"]'))
    # refused: the field error in French, the input kept
    error = browser.find_element(By.CSS_SELECTOR, "#field-ends-on ~ .error-block, .form-group.error .error-block")
    assert "La date de fin (2024-01-01) est antérieure à la date de début (2024-06-01)." in error.text
    assert browser.find_element(By.ID, "field-reference").get_attribute("value") == "CONV-2024-100"
    screenshot(browser, "convention-form.png")

    browser.execute_script("arguments[0].value = ''", browser.find_element(By.ID, "field-ends-on"))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'button[type="submit"][name="save"]'))
    assert browser.current_url.endswith("/organization/conventions/ville-de-marseille")
    assert "Convention CONV-2024-100 enregistrée." in browser.find_element(By.CSS_SELECTOR, ".flash-messages").text
    row = browser.find_element(By.CSS_SELECTOR, 'tr.datasud-convention[data-reference="CONV-2024-100"]')
    assert "Convention de moissonnage" in row.text and "depuis le 01/06/2024, sans date de fin" in row.text
