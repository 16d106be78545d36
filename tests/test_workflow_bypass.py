"""No door around the validation workflow (issue 10, items 1, 2 and 9).

Every call goes through the real app, with the API token of a partner's editor, as an
attacker or a sloppy client would send it. After each attempt the dataset must still be
private: anonymous ``package_show`` refused, absent from ``package_search`` and from
``/catalog.ttl``, its workflow state unchanged, and nothing stored.
"""
from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

import ckan.model as model
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud.logic.workflow_action import publish_through_the_workflow
from tests import factories
from tests.harvesting import CatalogueServer, allowed_hosts

UNVALIDATED = "Un jeu de données est publié par le circuit de validation"

# What CKAN's boolean validator stores as ``private=False`` while a looser parser
# (``asbool``) reads "private": the inputs of the attack, and other public values.
STORED_PUBLIC = ["on", " true", "TRUE ", "true\n", "y ", "false", "0", "", "off", None, False]
# Values CKAN's validator cannot read (a 500 in stock CKAN): refused with a clear error.
UNREADABLE = [0, 1, 0.0, [], {}, ["true"], {"private": True}]
# What CKAN stores as private: accepted, and the dataset stays private.
STORED_PRIVATE = ["yes", "TRUE", "t", "1", True]
VALUES = STORED_PUBLIC + UNREADABLE + STORED_PRIVATE


def api(app, action, headers=None, **data):
    return app.post(f"/api/3/action/{action}", json=data, headers=headers or {}, status=None)


def token(user) -> dict:
    return {"Authorization": ckan_factories.APIToken(user=user["name"])["token"]}


def make_world(suffix: str = ""):
    """A partner with a convention, one without; an editor of both and an admin of the
    first; a draft and a submitted dataset of the first, a draft of the second."""
    partner = factories.Organization(name=f"partenaire{suffix}", title=f"Partenaire{suffix}")
    lapsed = ckan_factories.Organization(name=f"sans-convention{suffix}", title=f"Sans convention{suffix}")
    editor, admin, sysadmin = ckan_factories.User(), ckan_factories.User(), ckan_factories.Sysadmin()
    for org in (partner, lapsed):
        helpers.call_action("organization_member_create", id=org["id"], username=editor["name"], role="editor")
    helpers.call_action("organization_member_create", id=partner["id"], username=admin["name"], role="admin")
    datasets = {
        "draft": factories.Dataset(owner_org=partner["id"], private=True, name=f"brouillon{suffix}",
                                   title=f"Brouillon du partenaire{suffix}"),
        "submitted": factories.Dataset(owner_org=partner["id"], private=True, name=f"soumis{suffix}",
                                       title=f"Soumis au service juridique{suffix}"),
        "lapsed": factories.Dataset(owner_org=lapsed["id"], private=True, name=f"sans-convention-brouillon{suffix}",
                                    title=f"Brouillon sans convention{suffix}"),
    }
    helpers.call_action("datasud_workflow_submit", {"user": sysadmin["name"]}, id=datasets["submitted"]["id"])
    return SimpleNamespace(partner=partner, lapsed=lapsed, editor=editor, sysadmin=sysadmin, datasets=datasets,
                           headers=token(editor), partner_admin_headers=token(admin),
                           admin_headers=token(sysadmin),
                           states={"draft": "draft", "submitted": "submitted", "lapsed": "draft"})


@pytest.fixture
def world(clean_db, clean_index):
    return make_world()


@pytest.fixture(scope="module")
def shared_world():
    """One world for the many refused inputs (a refusal changes nothing; names are unique
    to this module). Its tests come first in the module, before any ``clean_db``."""
    return make_world(f"-{uuid.uuid4().hex[:8]}")


def workflow_state(world, dataset_id) -> str:
    return helpers.call_action("datasud_workflow_show", {"user": world.sysadmin["name"]}, id=dataset_id)["state"]


def assert_not_public(app, world, dataset, state):
    """The dataset is private for everyone outside, in every door, and its state unchanged."""
    model.Session.remove()
    assert model.Package.get(dataset["id"]).private is True
    assert api(app, "package_show", id=dataset["id"]).status_code == 403
    assert app.get(f"/dataset/{dataset['name']}", status=None).status_code == 404
    search = api(app, "package_search", q=f"id:{dataset['id']}", include_private=True).json["result"]
    assert search["count"] == 0
    assert dataset["title"] not in app.get("/catalog.ttl").body
    assert workflow_state(world, dataset["id"]) == state


def assert_refused(response, field="private", message=None):
    assert response.status_code in (400, 409), response.body
    error = response.json["error"]
    assert field in error, error
    if message:
        assert any(message in m for m in error[field]), error


def stored_as(value) -> str:
    """What CKAN's boolean validator makes of ``value``: "private", "public" or "unreadable"."""
    if value is None or isinstance(value, bool):
        return "private" if value else "public"
    if isinstance(value, str):
        return "private" if value.lower() in ("true", "yes", "t", "y", "1") else "public"
    return "unreadable"


def outcome(response, value):
    expected = stored_as(value)
    if expected == "private":
        assert response.status_code == 200, response.body
        result = response.json["result"]
        assert result.get("package", result)["private"] is True  # (package_revise: {"package": …})
    elif expected == "public":
        assert_refused(response, message=UNVALIDATED)
    else:
        assert_refused(response)


def full_dict(world, dataset) -> dict:
    return helpers.call_action("package_show", {"user": world.sysadmin["name"]}, id=dataset["id"])


DOORS = {
    "package_patch": lambda world, ds, value: {"id": ds["id"], "private": value},
    "package_revise": lambda world, ds, value: {"match": {"id": ds["id"]}, "update": {"private": value}},
    "package_update": lambda world, ds, value: {**full_dict(world, ds), "private": value},
}


# --- 1. Truthy strings ------------------------------------------------------------------

@pytest.mark.parametrize("value", VALUES, ids=repr)
@pytest.mark.parametrize("door", DOORS)
def test_no_value_of_private_publishes_an_unvalidated_dataset(app, shared_world, door, value):
    world = shared_world
    for key, dataset in world.datasets.items():
        response = api(app, door, world.headers, **DOORS[door](world, dataset, value))
        outcome(response, value)
        assert_not_public(app, world, dataset, world.states[key])


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_no_value_of_private_creates_a_public_dataset(app, shared_world, value):
    world = shared_world
    for org in (world.partner, world.lapsed):
        name = f"nouveau-{org['name']}-{uuid.uuid4().hex[:8]}"
        response = api(app, "package_create", world.headers, name=name, title=f"Nouveau {org['title']}",
                       notes="Des données.", owner_org=org["id"], themes=["culture-tourisme"], private=value)
        outcome(response, value)
        if response.status_code == 200:
            assert_not_public(app, world, response.json["result"], "draft")
        else:
            model.Session.remove()
            assert model.Package.get(name) is None  # nothing stored
            assert f"Nouveau {org['title']}" not in app.get("/catalog.ttl").body


# --- 2. Dataset types (first part: on the shared world) ------------------------------

@pytest.mark.parametrize("dataset_type", ["foo", "", None, "Dataset", "dataset ", "harvest_source", ["dataset"],
                                          {"type": "dataset"}, 1], ids=repr)
@pytest.mark.parametrize("private", [False, True])
def test_only_declared_types_are_created(app, shared_world, dataset_type, private):
    world, name = shared_world, f"type-inconnu-{uuid.uuid4().hex[:8]}"
    response = api(app, "package_create", world.headers, name=name, title="Type inconnu",
                   notes="Des données.", owner_org=world.partner["id"], themes=["culture-tourisme"],
                   type=dataset_type, private=private)
    assert_refused(response, field="type")
    assert "Type de jeu de données inconnu" in response.json["error"]["type"][0]
    model.Session.remove()
    assert model.Package.get(name) is None
    for url in ("/dataset/", "/", f"/organization/{world.partner['name']}", "/catalog.ttl"):
        assert app.get(url).status_code == 200


# --- 1. Truthy strings (continued) ------------------------------------------------------

def test_sysadmins_do_not_bypass_the_workflow_either(app, world):
    for key, dataset in world.datasets.items():
        assert_refused(api(app, "package_patch", world.admin_headers, id=dataset["id"], private="on"),
                       message=UNVALIDATED)
        assert_not_public(app, world, dataset, world.states[key])


def test_resource_actions_keep_a_draft_private(app, world):
    dataset = world.datasets["draft"]
    created = api(app, "resource_create", world.headers, package_id=dataset["id"], url="https://example.org/a.csv",
                  name="A", private="on")
    assert created.status_code == 200
    assert api(app, "resource_patch", world.headers, id=created.json["result"]["id"], private=False,
               name="B").status_code == 200
    assert_not_public(app, world, dataset, "draft")


def test_bulk_update_public_is_decided_on_the_datasets_it_would_change(app, world):
    draft, published = world.datasets["draft"], factories.Dataset(owner_org=world.partner["id"])
    for data in ({"datasets": [draft["id"]], "org_id": world.partner["id"]},
                 {"datasets": [published["id"], draft["id"]], "org_id": world.partner["id"]},
                 {"datasets": draft["id"], "org_id": world.partner["id"]},
                 {"datasets": [{"id": draft["id"]}], "org_id": world.partner["id"]},
                 {"datasets": [draft["id"]], "org_id": [world.partner["id"]]}):
        response = api(app, "bulk_update_public", world.partner_admin_headers, **data)
        assert response.status_code in (400, 409), (data, response.body)
        assert_not_public(app, world, draft, "draft")
    # names are not what CKAN matches: nothing changes
    response = api(app, "bulk_update_public", world.partner_admin_headers, datasets=[draft["name"]], org_id=world.partner["id"])
    assert response.status_code in (200, 409)
    assert_not_public(app, world, draft, "draft")
    # published datasets may be made public again after bulk_update_private
    assert api(app, "bulk_update_private", world.partner_admin_headers, datasets=[published["id"]],
               org_id=world.partner["id"]).status_code == 200
    assert model.Package.get(published["id"]).private is True
    assert api(app, "bulk_update_public", world.partner_admin_headers, datasets=[published["id"]],
               org_id=world.partner["id"]).status_code == 200
    model.Session.remove()
    assert model.Package.get(published["id"]).private is False


def test_a_published_dataset_moved_to_another_partner_is_validated_again(app, world):
    published = factories.Dataset(owner_org=world.partner["id"], title="Publié chez le partenaire")
    response = api(app, "package_owner_org_update", world.admin_headers, id=published["id"],
                   organization_id=world.lapsed["id"])
    assert response.status_code == 200
    assert_not_public(app, world, published, "submitted")
    assert model.Package.get(published["id"]).owner_org == world.lapsed["id"]
    history = helpers.call_action("datasud_workflow_show", {"user": world.sysadmin["name"]},
                                  id=published["id"])["history"]
    assert history[-1]["transition"] == "revalidation" and history[-1]["details"] == {"changed": ["owner_org"]}


def test_a_revalidated_edit_never_reaches_the_index_as_public(app, world):
    published = factories.Dataset(owner_org=world.partner["id"], title="Publié puis relicencié")
    response = api(app, "package_patch", world.headers, id=published["id"], license_id="cc-by-4.0")
    assert response.status_code == 200 and response.json["result"]["private"] is True
    assert_not_public(app, world, published, "submitted")


def test_published_datasets_stay_public_when_edited(app, world):
    published = factories.Dataset(owner_org=world.partner["id"], title="Publié")
    response = api(app, "package_patch", world.headers, id=published["id"], title="Publié et corrigé", private="on")
    assert response.status_code == 200 and response.json["result"]["private"] is False
    assert api(app, "package_show", id=published["id"]).status_code == 200


# --- 2. Dataset types (continued) ---------------------------------------------------------------------

def test_the_type_of_a_dataset_does_not_change(app, world):
    dataset = world.datasets["draft"]
    for new_type in ("harvest", "foo"):
        response = api(app, "package_patch", world.headers, id=dataset["id"], type=new_type, private=False)
        assert response.status_code == 409
        response = api(app, "package_patch", world.headers, id=dataset["id"], type=new_type)
        assert_refused(response, field="type")
        model.Session.remove()
        assert model.Package.get(dataset["id"]).type == "dataset"
        assert_not_public(app, world, dataset, "draft")


# --- 9. Harvest sources: every door runs their checks -------------------------------------------

@pytest.fixture
def source(world):
    with CatalogueServer() as server, allowed_hosts(server.host):
        created = helpers.call_action("harvest_source_create", {"user": world.editor["name"]},
                                      name="source-partenaire", url=server.url("/catalog.ttl"),
                                      source_type="datasud_dcat", owner_org=world.partner["id"],
                                      title="Catalogue du partenaire", frequency="WEEKLY")
        yield created


INTERNAL_URLS = ["http://127.0.0.1:5000/catalog.ttl", "http://10.1.2.3/dcat", "http://169.254.169.254/latest/",
                 "file:///etc/passwd", "http://localhost:8983/solr/", " http://[::1]/ "]


def _harvest_source(source_id):
    from ckanext.harvest.model import HarvestSource
    model.Session.remove()
    return HarvestSource.get(source_id)


@pytest.mark.parametrize("door", ["harvest_source_patch", "package_patch", "package_update", "harvest_source_update"])
def test_every_door_checks_the_url_of_a_harvest_source(app, world, source, door):
    for url in INTERNAL_URLS:
        data = {"id": source["id"], "url": url}
        if door in ("package_update", "harvest_source_update"):
            data = {**helpers.call_action("harvest_source_show", {"user": world.sysadmin["name"]},
                                          id=source["id"]), **data}
        response = api(app, door, world.headers, **data)
        assert_refused(response, field="url")
        assert _harvest_source(source["id"]).url == source["url"]
        assert model.Package.get(source["id"]).url == source["url"]


@pytest.mark.parametrize("door", ["harvest_source_patch", "package_patch"])
def test_every_door_checks_the_schedule_of_a_harvest_source(app, world, source, door):
    for frequency in ("ALWAYS", "MONTHLY", "biweekly"):
        response = api(app, door, world.headers, id=source["id"], frequency=frequency)
        assert_refused(response, field="frequency")
        assert "Fréquence proposée" in response.json["error"]["frequency"][0]
        assert _harvest_source(source["id"]).frequency == "WEEKLY"
    assert api(app, door, world.headers, id=source["id"], frequency="daily").status_code == 200
    assert _harvest_source(source["id"]).frequency == "DAILY"


@pytest.mark.parametrize("door", ["harvest_source_patch", "package_patch"])
def test_every_door_keeps_the_owner_of_a_harvest_source(app, world, source, door):
    response = api(app, door, world.admin_headers, id=source["id"], owner_org="")
    assert response.status_code in (400, 409) and "owner_org" in response.json["error"]
    assert model.Package.get(source["id"]).owner_org == world.partner["id"]


def test_package_create_of_a_harvest_source_checks_it(app, world):
    for url in INTERNAL_URLS[:3]:
        response = api(app, "package_create", world.headers, type="harvest", name="source-interne",
                       title="Source interne", url=url, source_type="datasud_dcat", owner_org=world.partner["id"],
                       frequency="MANUAL")
        assert_refused(response, field="url")
    response = api(app, "package_create", world.headers, type="harvest", name="source-interne",
                   title="Source interne", url="https://example.org/catalog.ttl", source_type="datasud_dcat",
                   owner_org=world.partner["id"], frequency="ALWAYS")
    assert_refused(response, field="frequency")
    assert _harvest_source("source-interne") is None and model.Package.get("source-interne") is None
