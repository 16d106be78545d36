"""A full run of the validation workflow through the web UI, in headless Chromium: a partner
submits, the legal reviewer gives a favourable opinion, the committee validates without
a vote, and the dataset appears for an anonymous visitor. Screenshots of each step go to
test-artifacts/workflow-*.png."""
from __future__ import annotations

import pytest
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from tests import factories
from tests.test_browser import browser, click_and_wait, demo_data, screenshot, web_app  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("clean_db", "clean_index")]

PASSWORD = "Mot-de-passe-du-circuit-2024"


def login(driver, base, name):
    from selenium.webdriver.common.by import By
    driver.get(f"{base}/user/_logout")
    driver.get(f"{base}/user/login")
    driver.find_element(By.ID, "field-login").send_keys(name)
    driver.find_element(By.ID, "field-password").send_keys(PASSWORD)
    click_and_wait(driver, driver.find_element(
        By.XPATH, '//input[@id="field-password"]/ancestor::form//button[@type="submit"]'))


@pytest.fixture
def people(demo_data):  # noqa: F811 - the demo data, then the people of this run
    editor = ckan_factories.User(name="editrice-marseille", password=PASSWORD)
    helpers.call_action("organization_member_create", id="ville-de-marseille", username=editor["name"],
                        role="editor")
    legal = ckan_factories.User(name="juriste-region", password=PASSWORD)
    committee = ckan_factories.User(name="membre-comite", password=PASSWORD)
    for user, group in ((legal, "service-juridique"), (committee, "comite-de-pilotage")):
        ckan_factories.Group(name=group, users=[{"name": user["name"], "capacity": "member"}])
    dataset = factories.Dataset(owner_org="ville-de-marseille", private=True, name="parcs-et-jardins",
                                title="Parcs et jardins de Marseille")
    return {"editor": editor, "legal": legal, "committee": committee, "dataset": dataset}


def test_full_workflow_in_a_browser(people, web_app, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page = f"{web_app}/dataset/parcs-et-jardins"
    browser.get(page)
    assert "Parcs et jardins de Marseille" not in browser.page_source  # not public yet

    login(browser, web_app, "editrice-marseille")
    browser.get(page + "/validation")
    assert "brouillon" in browser.find_element(By.CSS_SELECTOR, ".datasud-workflow-state").text
    screenshot(browser, "workflow-1-brouillon.png")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#transition-submit button[type=submit]"))
    assert "service juridique" in browser.find_element(By.CSS_SELECTOR, ".datasud-workflow-state").text
    screenshot(browser, "workflow-2-soumis.png")

    login(browser, web_app, "juriste-region")
    browser.get(f"{web_app}/a-valider")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Parcs et jardins de Marseille"))
    form = browser.find_element(By.ID, "transition-legal_opinion")
    Select(form.find_element(By.NAME, "opinion")).select_by_value("favourable")
    form.find_element(By.NAME, "comment").send_keys("Aucune donnée personnelle.")
    click_and_wait(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "comité de pilotage" in browser.find_element(By.CSS_SELECTOR, ".datasud-workflow-state").text
    screenshot(browser, "workflow-3-avis-juridique.png")

    login(browser, web_app, "membre-comite")
    browser.get(page + "/validation")
    form = browser.find_element(By.ID, "transition-committee_decision")
    Select(form.find_element(By.NAME, "decision")).select_by_value("validated")
    click_and_wait(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "publié" in browser.find_element(By.CSS_SELECTOR, ".datasud-workflow-state").text
    history = browser.find_element(By.CSS_SELECTOR, "table.datasud-history").text
    for name in ("editrice-marseille", "juriste-region", "membre-comite"):
        assert name in history
    screenshot(browser, "workflow-4-valide.png")

    browser.get(f"{web_app}/user/_logout")
    browser.get(page)
    assert "Parcs et jardins de Marseille" in browser.find_element(By.TAG_NAME, "h1").text
    screenshot(browser, "workflow-5-public.png")
