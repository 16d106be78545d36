"""The validation workflow in the web UI: the validation page, its forms, « À valider »."""
from __future__ import annotations

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from tests import factories

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def token_headers(user) -> dict:
    return {"Authorization": ckan_factories.APIToken(user=user["name"])["token"]}


def in_group(name):
    user = ckan_factories.User()
    ckan_factories.Group(name=name, users=[{"name": user["name"], "capacity": "member"}])
    return user


def test_a_dataset_goes_through_the_web_ui_to_the_public(app):
    org = factories.Organization()
    editor = ckan_factories.User()
    helpers.call_action("organization_member_create", id=org["id"], username=editor["name"], role="editor")
    legal, committee = in_group("service-juridique"), in_group("comite-de-pilotage")
    dataset = factories.Dataset(owner_org=org["id"], private=True, name="lycees-a-valider", title="Lycées à valider")
    url = "/dataset/lycees-a-valider/validation"

    assert app.get("/dataset/lycees-a-valider", status=None).status_code == 404  # anonymous: nothing
    page = app.get(url, headers=token_headers(editor)).body
    assert "brouillon" in page and "Soumettre à validation" in page
    app.post(url, headers=token_headers(editor), data={"transition": "submit"})

    queue = app.get("/a-valider", headers=token_headers(legal)).body
    assert "Lycées à valider" in queue and "en attente de l&#39;avis du service juridique" in queue
    refused = app.post(url, headers=token_headers(legal), data={"transition": "legal_opinion", "opinion": "unfavourable"})
    assert "Indiquez les motifs de cet avis." in refused.body  # the form error, in French
    app.post(url, headers=token_headers(legal), data={"transition": "legal_opinion", "opinion": "favourable"})

    page = app.get(url, headers=token_headers(committee)).body
    assert "Décision du comité de pilotage" in page
    app.post(url, headers=token_headers(committee), data={"transition": "committee_decision", "decision": "validated"})

    public = app.get("/dataset/lycees-a-valider")
    assert public.status_code == 200 and "Lycées à valider" in public.body
    history = app.get(url, headers=token_headers(editor)).body
    for name in (editor["name"], legal["name"], committee["name"]):
        assert name in history
    assert helpers.call_action("datasud_workflow_show", {"user": editor["name"]}, id=dataset["id"])["state"] == "published"


def test_the_validation_page_is_closed_to_others(app):
    dataset, published = factories.Dataset(private=True), factories.Dataset()
    stranger = ckan_factories.User()
    # a draft they may not see is not there for them, as on its own page
    assert app.get(f"/dataset/{dataset['name']}/validation", headers=token_headers(stranger),
                   status=None).status_code == 404
    assert app.get(f"/dataset/{published['name']}/validation", headers=token_headers(stranger),
                   status=None).status_code == 403


def test_reviewers_have_the_to_validate_link(app):
    legal = in_group("service-juridique")
    nav = app.get("/", headers=token_headers(legal)).body
    assert 'href="/a-valider"' in nav
    assert 'href="/a-valider"' not in app.get("/").body


def test_state_badge_in_search_results_for_those_who_may_see_it(app):
    org = factories.Organization()
    editor = ckan_factories.User()
    helpers.call_action("organization_member_create", id=org["id"], username=editor["name"], role="editor")
    factories.Dataset(owner_org=org["id"], private=True, title="Jeu brouillon visible")
    page = app.get("/dataset/?q=brouillon", headers=token_headers(editor)).body
    assert "Jeu brouillon visible" in page and 'datasud-workflow-badge">brouillon<' in page
    assert "Jeu brouillon visible" not in app.get("/dataset/?q=brouillon").body
