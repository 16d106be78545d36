"""What visitors must not read, and pages that must not fail (issue 10, items 10 and 13):

- partners' harvest details (sources with their settings, their jobs' errors, harvested
  records, the harvest log) are for the organisation's members, the programme team and
  sysadmins, through every door: the Action API, ckanext-harvest's /harvest pages,
  package_show / package_search of the source;
- who belongs to the reviewers' groups (legal service, committee, Commission) is not public;
- the « Flux d'activité » tab answers for everyone; a reviewer opening the validation page
  of a draft gets a 404, not a 500; starting a harvest with its queue down says so
  (503 in the API, a flash message on the tab) and leaves nothing stuck.
"""
from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers
from ckanext.harvest.model import HarvestJob, HarvestObject

from tests import factories
from tests.harvesting import CatalogueServer, Page, allowed_hosts, create_source, run

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

PROGRAMME_GROUP = "equipe-datasud"
FIXTURES = Path(__file__).parent / "fixtures" / "dcat"


def _token(user: dict) -> dict:
    return {"Authorization": ckan_factories.APIToken(user=user["name"])["token"]}


def _in_group(name: str, **extra) -> dict:
    user = ckan_factories.User()
    ckan_factories.Group(name=name, users=[{"name": user["name"], "capacity": "member"}], **extra)
    return user


# --- Item 10: partners' harvest details ---------------------------------------------------

CATALOGUE_ERROR = "catalogue-secret-introuvable"


@pytest.fixture
def harvest_world():
    with CatalogueServer() as server, allowed_hosts(server.host):
        sysadmin = ckan_factories.Sysadmin()
        partner = factories.Organization(name="ville-partenaire")
        member, outsider = ckan_factories.User(), ckan_factories.User()
        helpers.call_action("organization_member_create", id=partner["id"], username=member["name"], role="member")
        team = _in_group(PROGRAMME_GROUP)
        # a catalogue answering 404: the job records a gather error (the "error summary")
        source = create_source(sysadmin, partner, server.url(f"/{CATALOGUE_ERROR}.ttl"))
        job = run(source)["job"]
        yield {"source": source, "job": job, "sysadmin": sysadmin, "partner": partner,
               "users": {"anonymous": None, "outsider": outsider, "member": member, "team": team,
                         "sysadmin": sysadmin}}


def _as(who: dict | None) -> dict:
    return _token(who) if who else {}


def _harvest_doors(app, world, headers) -> dict[str, bool]:
    """Which door shows something of the partner's source to the holder of ``headers``."""
    source, job = world["source"], world["job"]
    api = lambda action, **params: app.get(f"/api/3/action/{action}", params=params,  # noqa: E731
                                           headers=headers, status=None)
    listed = api("harvest_source_list")
    search = api("package_search", fq="dataset_type:harvest", include_private="true")
    page = lambda url: app.get(url, headers=headers, status=None)  # noqa: E731
    return {
        "harvest_source_list": listed.status_code == 200 and any(
            s["id"] == source["id"] for s in listed.json["result"]),
        "harvest_source_show": api("harvest_source_show", id=source["id"]).status_code == 200,
        "harvest_source_show_status": api("harvest_source_show_status", id=source["id"]).status_code == 200,
        "package_show": api("package_show", id=source["id"]).status_code == 200,
        "package_search": search.status_code == 200 and search.json["result"]["count"] == 1,
        "harvest_job_list": api("harvest_job_list", source_id=source["id"]).status_code == 200,
        "harvest_job_show": api("harvest_job_show", id=job["id"]).status_code == 200,
        "harvest_job_report": api("harvest_job_report", id=job["id"]).status_code == 200,
        "page_harvest_list": source["title"] in page("/harvest/").body,
        "page_source": page(f"/harvest/{source['name']}").status_code == 200,
        "page_about": page(f"/harvest/about/{source['name']}").status_code == 200,
        "page_jobs": page(f"/harvest/{source['name']}/job").status_code == 200,
        "page_job": page(f"/harvest/{source['name']}/job/{job['id']}").status_code == 200,
        "page_last_job": page(f"/harvest/{source['name']}/job/last").status_code == 200,
        "page_our_tab": page(f"/organization/moissonnage/{world['partner']['name']}").status_code == 200,
        "page_our_report": page(f"/moissonnage/job/{job['id']}").status_code == 200,
    }


@pytest.mark.ckan_config("ckanext.datasud.programme_team_group", PROGRAMME_GROUP)
def test_harvest_sources_jobs_and_reports_are_members_only(app, harvest_world):
    for who, user in harvest_world["users"].items():
        seen = _harvest_doors(app, harvest_world, _as(user))
        expected = who in ("member", "team", "sysadmin")
        # ckanext-harvest's own job pages and job list are for the source's editors: a
        # member with read access reads the reports on our tab (and through the API)
        if who == "member":
            for door in ("page_job", "page_jobs", "page_last_job", "page_source", "page_about",
                         "harvest_source_list"):
                seen.pop(door)
        if who == "team":
            for door in ("page_job", "page_jobs", "page_last_job", "page_about", "harvest_source_list"):
                seen.pop(door)
        assert seen == {door: expected for door in seen}, who


def test_visitors_do_not_read_the_source_settings_nor_its_errors(app, harvest_world):
    """What anonymous calls answered before: the catalogue's URL, the source's settings
    and the last job's gather errors."""
    source = harvest_world["source"]
    for action, params in (("harvest_source_list", {}), ("harvest_source_list", {"return_last_job_status": "true"}),
                           ("harvest_source_show", {"id": source["id"]}),
                           ("harvest_source_show", {"url": source["url"]}),
                           ("harvest_source_show_status", {"id": source["id"]}),
                           ("package_show", {"id": source["name"]}),
                           ("package_search", {"q": CATALOGUE_ERROR, "fq": "dataset_type:harvest"}),
                           ("harvest_job_list", {"source_id": source["id"]}),
                           ("harvest_job_show", {"id": harvest_world["job"]["id"]}),
                           ("harvest_log_list", {})):
        response = app.get(f"/api/3/action/{action}", params=params, status=None)
        assert response.status_code in (200, 403, 404), (action, response.status_code)
        assert CATALOGUE_ERROR not in response.body, (action, response.body[:300])
        assert source["url"] not in response.body, action
        if response.status_code == 403:
            assert response.json["success"] is False
    # the member's own call shows them
    member = app.get("/api/3/action/harvest_source_show_status", params={"id": source["id"]},
                     headers=_token(harvest_world["users"]["member"]))
    assert member.json["result"]["last_job"]["id"] == harvest_world["job"]["id"]


def test_harvested_records_and_log_are_not_public(app):
    with CatalogueServer() as server, allowed_hosts(server.host):
        server.pages["/catalogue.ttl"] = Page((FIXTURES / "catalogue.ttl").read_text())
        sysadmin, member, outsider = ckan_factories.Sysadmin(), ckan_factories.User(), ckan_factories.User()
        partner = factories.Organization()
        helpers.call_action("organization_member_create", id=partner["id"], username=member["name"], role="member")
        source = create_source(sysadmin, partner, server.url("/catalogue.ttl"))
        run(source)
    obj = HarvestObject.get(next(o.id for o in HarvestObject.filter(harvest_source_id=source["id"])))
    for params in ({"id": obj.id}, {"dataset_id": obj.package_id}):
        assert app.get("/api/3/action/harvest_object_show", params=params, status=None).status_code == 403
        assert app.get("/api/3/action/harvest_object_show", params=params, headers=_token(outsider),
                       status=None).status_code == 403
        assert app.get("/api/3/action/harvest_object_show", params=params,
                       headers=_token(member)).json["result"]["id"] == obj.id
    for url in (f"/harvest/object/{obj.id}", f"/dataset/harvest_object/{obj.package_id}"):
        assert app.get(url, status=None).status_code == 403, url
        assert app.get(url, headers=_token(member), status=None).status_code == 200, url
    assert app.get("/api/3/action/harvest_log_list", status=None).status_code == 403
    assert app.get("/api/3/action/harvest_log_list", headers=_token(member), status=None).status_code == 403
    assert app.get("/api/3/action/harvest_log_list", headers=_token(sysadmin)).json["success"] is True


# --- Item 10: who the reviewers are -----------------------------------------------------

@pytest.mark.parametrize("group", ["service-juridique", "comite-de-pilotage", "commission-permanente"])
def test_reviewers_groups_members_are_not_public(app, group):
    reviewer = _in_group(group)
    outsider, sysadmin = ckan_factories.User(), ckan_factories.Sysadmin()
    url = "/api/3/action/member_list"
    for params in ({"id": group}, {"id": group, "object_type": "user"}, {"id": group, "capacity": "member"}):
        for headers in ({}, _token(outsider)):
            response = app.get(url, params=params, headers=headers, status=None)
            assert response.status_code == 403, (params, headers, response.body[:200])
            assert reviewer["id"] not in response.body
        for who in (reviewer, sysadmin):
            members = app.get(url, params=params, headers=_token(who)).json["result"]
            assert reviewer["id"] in [m[0] for m in members]
    # and not through group_show either (ckan.auth.public_user_details = false)
    shown = app.get("/api/3/action/group_show", params={"id": group, "include_users": "true"}, status=None)
    assert shown.status_code == 403 and reviewer["name"] not in shown.body


def test_the_datasets_of_a_group_stay_listed(app):
    group = ckan_factories.Group()
    assert app.get("/api/3/action/member_list", params={"id": group["id"], "object_type": "package"}).json["success"]


# --- Item 13: the activity tab, the validation page ------------------------------------

@pytest.mark.parametrize("who", ["anonymous", "logged_in", "member", "reviewer", "sysadmin"])
def test_activity_tab_of_a_public_dataset_answers(app, who):
    dataset = factories.Dataset(title="Lycées publics de la région")
    users = {"anonymous": None, "logged_in": ckan_factories.User(), "reviewer": _in_group("service-juridique"),
             "sysadmin": ckan_factories.Sysadmin(), "member": ckan_factories.User()}
    helpers.call_action("organization_member_create", id=dataset["owner_org"], username=users["member"]["name"],
                        role="editor")
    response = app.get(f"/dataset/activity/{dataset['name']}", headers=_as(users[who]), status=None)
    assert response.status_code == 200, response.status_code
    assert "Lycées publics de la région" in response.body
    # the API's activity list too
    assert app.get("/api/3/action/package_activity_list", params={"id": dataset["id"]},
                   headers=_as(users[who])).json["success"]


def test_reviewers_read_the_activity_of_a_dataset_waiting_for_them(app):
    reviewer, sysadmin = _in_group("service-juridique"), ckan_factories.Sysadmin()
    dataset = factories.Dataset(private=True, title="Jeu soumis au service juridique")
    helpers.call_action("datasud_workflow_submit", {"user": sysadmin["name"]}, id=dataset["id"])
    assert app.get(f"/dataset/activity/{dataset['name']}", headers=_token(reviewer)).status_code == 200
    assert app.get(f"/dataset/activity/{dataset['name']}", status=None).status_code in (403, 404)


def test_a_reviewer_opening_a_draft_s_validation_page_gets_a_404(app):
    reviewer, outsider = _in_group("service-juridique"), ckan_factories.User()
    member = ckan_factories.User()
    dataset = factories.Dataset(private=True)
    helpers.call_action("organization_member_create", id=dataset["owner_org"], username=member["name"],
                        role="editor")
    url = f"/dataset/{dataset['name']}/validation"
    assert app.get(url, headers=_token(reviewer), status=None).status_code == 404
    assert app.get(url, headers=_token(outsider), status=None).status_code == 404
    assert app.get(url, status=None).status_code == 404
    assert app.get(url, headers=_token(member)).status_code == 200
    # once submitted, it is the reviewer's
    helpers.call_action("datasud_workflow_submit", {"user": member["name"]}, id=dataset["id"])
    assert app.get(url, headers=_token(reviewer)).status_code == 200


# --- Item 13: a harvest started while its queue (Redis) is down ------------------------

def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more
    return port


@pytest.fixture
def queue_down(ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "ckan.harvest.mq.hostname", "127.0.0.1")
    monkeypatch.setitem(ckan_config, "ckan.harvest.mq.port", str(_closed_port()))


@pytest.fixture
def a_source():
    with CatalogueServer() as server, allowed_hosts(server.host):
        sysadmin, partner = ckan_factories.Sysadmin(), factories.Organization()
        admin = ckan_factories.User()
        helpers.call_action("organization_member_create", id=partner["id"], username=admin["name"], role="admin")
        yield {"source": create_source(sysadmin, partner, server.url("/catalogue.ttl")), "sysadmin": sysadmin,
               "partner": partner, "admin": admin}


def test_harvest_job_create_with_the_queue_down_is_a_french_503(app, a_source, queue_down):
    source = a_source["source"]
    response = app.post("/api/3/action/harvest_job_create", json={"source_id": source["id"]},
                        headers=_token(a_source["sysadmin"]), status=None)
    assert response.status_code == 503, response.body[:300]
    assert response.json["success"] is False
    assert "Le moissonnage est momentanément indisponible" in response.json["error"]["message"]
    assert response.headers["Retry-After"]
    # nothing left « Running » that would refuse every later run
    assert HarvestJob.filter(source_id=source["id"]).count() == 0


def test_harvest_job_create_when_the_queue_is_back_runs(app, a_source):
    source = a_source["source"]
    response = app.post("/api/3/action/harvest_job_create", json={"source_id": source["id"]},
                        headers=_token(a_source["sysadmin"]))
    assert response.json["result"]["status"] == "Running"
    from ckanext.harvest import queue
    waiting = queue.get_connection().lrange(queue.get_gather_routing_key(), 0, -1)
    assert any(response.json["result"]["id"] in item for item in waiting)
    queue.purge_queues()  # this test site's queues only (named after ckan.site_id)


def test_run_now_with_the_queue_down_flashes_a_french_message(app, a_source, queue_down):
    partner, admin = a_source["partner"], a_source["admin"]
    headers = _token(admin)
    url = f"/organization/moissonnage/{partner['name']}/{a_source['source']['id']}/run"
    # the tab, where the POST redirects, flashes the message
    page = app.post(url, headers=headers, data=_form_with_token(app, partner, headers))
    assert page.request.path == f"/organization/moissonnage/{partner['name']}"
    assert "Le moissonnage est momentanément indisponible" in page.body
    assert HarvestJob.filter(source_id=a_source["source"]["id"]).count() == 0


def _form_with_token(app, partner, headers) -> dict:
    page = app.get(f"/organization/moissonnage/{partner['name']}", headers=headers).body
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    return {"_csrf_token": match.group(1)} if match else {}
