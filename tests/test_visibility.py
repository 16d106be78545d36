"""Nothing is public before it is validated: the visibility matrix of every workflow
state × every role × the doors a dataset can leak through."""
from __future__ import annotations

import pytest

import ckan.model as model
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud.logic.workflow_action import publish_through_the_workflow
from tests import factories

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

ROLES = ("anonymous", "other_partner", "member", "legal", "committee", "sysadmin")
REVIEW_STATES = ("submitted", "committee", "commission")


def _in_group(name):
    user = ckan_factories.User()
    ckan_factories.Group(name=name, users=[{"name": user["name"], "capacity": "member"}])
    return user


@pytest.fixture
def world(create_with_upload):
    org, other_org = factories.Organization(), factories.Organization()
    member, other = ckan_factories.User(), ckan_factories.User()
    helpers.call_action("organization_member_create", id=org["id"], username=member["name"], role="editor")
    helpers.call_action("organization_member_create", id=other_org["id"], username=other["name"], role="editor")
    sysadmin = ckan_factories.Sysadmin()
    users = {"other_partner": other, "member": member, "legal": _in_group("service-juridique"),
             "committee": _in_group("comite-de-pilotage"), "sysadmin": sysadmin}
    _in_group("commission-permanente")
    dataset = factories.Dataset(owner_org=org["id"], private=True, name="jeu-en-validation",
                                title="Jeu en cours de validation")
    resource = create_with_upload("a;b\n1;2\n", "donnees.csv", context={"user": sysadmin["name"]},
                                  package_id=dataset["id"], name="Données")
    headers = {role: {"Authorization": ckan_factories.APIToken(user=user["name"])["token"]}
               for role, user in users.items()}
    headers["anonymous"] = {}
    return {"dataset": dataset, "resource": resource, "headers": headers, "sysadmin": sysadmin}


def move_to(state, dataset_id, sysadmin):
    act = lambda a, **d: helpers.call_action(f"datasud_workflow_{a}", {"user": sysadmin["name"]},  # noqa: E731
                                             id=dataset_id, **d)
    if state == "draft":
        return
    act("submit")
    if state == "submitted":
        return
    act("legal_opinion", opinion="favourable")
    if state == "committee":
        return
    act("committee_decision", decision="validated", commission_vote_required=True)
    if state == "commission":
        return
    act("commission_vote", vote="adopted", deliberation_number="24-1", deliberation_date="2024-06-28")
    if state == "withdrawn":
        act("withdraw", comment="Retiré pour mise à jour.")


def doors(app, world, headers) -> dict[str, bool]:
    """What each door shows to the holder of ``headers``."""
    ds, res = world["dataset"], world["resource"]
    get = lambda url: app.get(url, headers=headers, status=None)  # noqa: E731
    search = get(f"/api/3/action/package_search?q=name:{ds['name']}&include_private=true").json
    catalog = get("/catalog.ttl").body
    page = get(f"/dataset/{ds['name']}")
    return {
        "package_search": search["result"]["count"] == 1,
        "package_show": get(f"/api/3/action/package_show?id={ds['id']}").status_code == 200,
        "resource_show": get(f"/api/3/action/resource_show?id={res['id']}").status_code == 200,
        "download": get(f"/dataset/{ds['id']}/resource/{res['id']}/download/donnees.csv").status_code == 200,
        "dcat_dataset": get(f"/dataset/{ds['id']}.ttl").status_code == 200,
        "dcat_catalog": ds["title"] in catalog,
        "page": page.status_code == 200,
        "search_page": ds["title"] in get("/dataset/?q=validation").body,
        "activity": get(f"/api/3/action/package_activity_list?id={ds['id']}").status_code == 200,
        "organization_page": ds["title"] in get(f"/organization/{ds['organization']['name']}").body,
    }


def public_doors(app, world) -> dict[str, bool]:
    """Doors that only ever show published datasets, whoever asks."""
    title = world["dataset"]["title"]
    return {"feed": title in app.get("/feeds/dataset.atom").body,
            }


def visible(state, role) -> bool:
    if state == "published" or role in ("member", "sysadmin"):
        return True
    if role in ("legal", "committee"):
        return state in REVIEW_STATES
    return False


def assert_matrix(app, world, state):
    assert helpers.call_action("datasud_workflow_show", {"user": world["sysadmin"]["name"]},
                               id=world["dataset"]["id"])["state"] == state
    for role in ROLES:
        expected = visible(state, role)
        seen = doors(app, world, world["headers"][role])
        # the DCAT catalogue is the public catalogue: unpublished datasets never appear there
        if state != "published":
            assert seen.pop("dcat_catalog") is False, (state, role)
        else:
            seen.pop("dcat_catalog") if role != "anonymous" else None
        assert seen == {door: expected for door in seen}, (state, role)
    assert public_doors(app, world)["feed"] is (state == "published")


@pytest.mark.parametrize("state", ["draft", "submitted", "committee", "commission", "published", "withdrawn"])
def test_visibility_matrix(app, world, state):
    move_to(state, world["dataset"]["id"], world["sysadmin"])
    assert_matrix(app, world, state)


# Every action that takes ``private`` (or a dataset type), with the inputs that once
# bypassed the workflow: strings a loose parser reads as true while CKAN stores false.
def bypasses(world):
    ds, org_id = world["dataset"], world["dataset"]["owner_org"]
    full = helpers.call_action("package_show", {"user": world["sysadmin"]["name"]}, id=ds["id"])
    return [
        ("package_patch", {"id": ds["id"], "private": "on"}),
        ("package_patch", {"id": ds["id"], "private": " true"}),
        ("package_patch", {"id": ds["id"], "private": 0}),
        ("package_revise", {"match": {"id": ds["id"]}, "update": {"private": "TRUE "}}),
        ("package_revise", {"match": {"id": ds["id"]}, "update__private": ""}),
        ("package_update", {**full, "private": "yes please"}),
        ("package_update", {**full, "private": None}),
        ("bulk_update_public", {"datasets": [ds["id"]], "org_id": org_id}),
        ("bulk_update_public", {"datasets": ds["id"], "org_id": org_id}),
        ("package_create", {"name": "jeu-en-validation-bis", "title": ds["title"], "notes": "Copie.",
                            "owner_org": org_id, "themes": ["culture-tourisme"], "private": "on"}),
        ("package_create", {"name": "jeu-en-validation-ter", "title": ds["title"], "notes": "Copie.",
                            "owner_org": org_id, "themes": ["culture-tourisme"], "type": "foo", "private": False}),
        ("harvest_source_patch", {"id": ds["id"], "private": False, "url": "https://example.org/dcat"}),
    ]


@pytest.mark.parametrize("state", ["draft", "submitted", "committee", "commission", "withdrawn"])
def test_visibility_matrix_holds_against_the_bypasses(app, world, state):
    """The partner's editor, then the organisation's admin, try every bypass: each is
    refused with a clear error, and the matrix is the same as before."""
    move_to(state, world["dataset"]["id"], world["sysadmin"])
    admin = ckan_factories.User()
    helpers.call_action("organization_member_create", id=world["dataset"]["owner_org"], username=admin["name"],
                        role="admin")
    admin_headers = {"Authorization": ckan_factories.APIToken(user=admin["name"])["token"]}
    for headers in (world["headers"]["member"], admin_headers):
        for action, data in bypasses(world):
            response = app.post(f"/api/3/action/{action}", json=data, headers=headers, status=None)
            assert response.status_code in (403, 409), (action, data, response.body)
            if response.status_code == 409:
                assert set(response.json["error"]) & {"private", "type", "datasets"}, (action, response.json)
    assert_matrix(app, world, state)
    model.Session.remove()
    assert model.Package.get("jeu-en-validation-bis") is None and model.Package.get("jeu-en-validation-ter") is None
    assert app.get("/dataset/").status_code == 200 and app.get("/").status_code == 200
