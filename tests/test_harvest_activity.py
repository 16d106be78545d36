"""The activity of harvested datasets (harvesting/activity.py): written once the import
is over, from the copy the search index validated, with the dataset's final visibility:
one « new package » for a new record, one « changed package » for a changed one, none
for an unchanged one; labelled public for a dataset published by convention, for the
partner's members and reviewers for one waiting for validation. Outside an import, CKAN's own activity, once.
"""
from __future__ import annotations

import pytest

import ckan.model as model
from ckan.tests import helpers
from ckanext.activity.model import Activity

from tests.harvesting import Page, create_source, run, source_datasets

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "with_request_context")

BASE = "https://data.partenaire-activite.example"


def record(i: int, title: str = "") -> str:
    ref = f"{BASE}/dataset/fiche-{i}"
    return f"""
<{ref}> a dcat:Dataset ;
    dct:title "{title or f'Fiche n° {i} du partenaire'}" ;
    dct:description "Une fiche du catalogue du partenaire, numéro {i}." ;
    dct:identifier "fiche-{i}" ;
    dcat:theme <http://publications.europa.eu/resource/authority/data-theme/TRAN> ;
    dcat:distribution <{ref}/csv> .
<{ref}/csv> a dcat:Distribution ;
    dct:title "Fiche {i} (CSV)" ;
    dcat:downloadURL <{BASE}/files/fiche-{i}.csv> ;
    dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> .
"""


def catalogue(*records: str) -> str:
    refs = ", ".join(f"<{BASE}/dataset/fiche-{i}>" for i in range(1, len(records) + 1))
    return ("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n"
            f"<{BASE}/catalogue> a dcat:Catalog ; dcat:dataset {refs} .\n" + "".join(records))


def activities(package_id: str) -> list[Activity]:
    return (model.Session.query(Activity).filter(Activity.object_id == package_id)
            .order_by(Activity.timestamp).all())


def test_dataset_published_by_convention_has_one_public_creation_activity_as_package_show_gives_it(
        server, partner):
    server.pages["/catalogue.ttl"] = Page(catalogue(record(1), record(2)))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                           publication_mode="reference", validation="convention")
    result = run(source)
    assert result["job"]["stats"].get("added") == 2
    datasets = source_datasets(source, include_private=False)
    assert len(datasets) == 2
    for dataset in datasets:
        found = activities(dataset["id"])
        assert [a.activity_type for a in found] == ["new package"]
        # written with the dataset as published, as CKAN's activity has it (package_show
        # of the stored dataset, not for view), public labels
        shown = helpers.call_action("package_show", {"ignore_auth": True, "for_view": False, "use_cache": False},
                                    id=dataset["id"])
        recorded = found[0].data["package"]
        assert recorded["private"] is False and shown["private"] is False
        assert recorded == shown
        assert found[0].permission_labels == ["public"]
        assert found[0].data["actor"] == helpers.call_action("get_site_user", {"ignore_auth": True})["name"]


def test_record_waiting_for_validation_has_its_creation_activity_hidden_from_the_public(server, partner):
    server.pages["/catalogue.ttl"] = Page(catalogue(record(1)))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                           publication_mode="reference", validation="workflow")
    assert run(source)["job"]["stats"].get("added") == 1
    [dataset] = source_datasets(source)
    assert dataset["private"] is True
    [activity] = activities(dataset["id"])
    assert activity.activity_type == "new package"
    assert activity.data["package"]["private"] is True
    assert "public" not in activity.permission_labels
    assert f"member-{partner['org']['id']}" in activity.permission_labels


def test_second_harvest_changed_record_has_one_change_activity_unchanged_none(server, partner):
    server.pages["/catalogue.ttl"] = Page(catalogue(record(1), record(2)))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                           publication_mode="reference", validation="convention")
    run(source)
    server.pages["/catalogue.ttl"] = Page(catalogue(record(1), record(2, title="Fiche n° 2, corrigée")))
    stats = run(source)["job"]["stats"]
    assert (stats.get("updated"), stats.get("not modified")) == (1, 1)
    by_title = {d["title"]: d for d in source_datasets(source)}
    assert [a.activity_type for a in activities(by_title["Fiche n° 1 du partenaire"]["id"])] == ["new package"]
    changed = activities(by_title["Fiche n° 2, corrigée"]["id"])
    assert [a.activity_type for a in changed] == ["new package", "changed package"]
    assert changed[-1].data["package"]["title"] == "Fiche n° 2, corrigée"
    assert changed[0].data["package"]["title"] == "Fiche n° 2 du partenaire"


def test_outside_an_import_ckan_records_the_activity_once_as_before(server, partner):
    # a harvest first: DataSud's receiver has taken the activity plugin's place
    server.pages["/catalogue.ttl"] = Page(catalogue(record(1)))
    run(create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                      publication_mode="reference", validation="convention"))
    user = partner["sysadmin"]
    dataset = helpers.call_action("package_create", {"user": user["name"]}, name="saisi-a-la-main",
                                  title="Saisi à la main", owner_org=partner["org"]["id"], private=True,
                                  notes="Un jeu de données saisi par le formulaire.", themes=["culture-tourisme"])
    helpers.call_action("package_patch", {"user": user["name"]}, id=dataset["id"], title="Saisi à la main, revu")
    found = activities(dataset["id"])
    assert [a.activity_type for a in found] == ["new package", "changed package"]
    assert found[0].data["actor"] == user["name"]
    assert found[-1].data["package"]["title"] == "Saisi à la main, revu"
