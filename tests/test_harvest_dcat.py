"""Harvesting partners' DCAT catalogues (real HTTP server on 127.0.0.1)."""
from __future__ import annotations

from pathlib import Path

import pytest

from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from tests.harvesting import Page, create_source, run, source_datasets, \
    object_errors, gather_errors

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

FIXTURES = Path(__file__).parent / "fixtures" / "dcat"


def test_reference_mode_prevalidated(server, partner):
    server.pages["/catalogue.ttl"] = Page((FIXTURES / "catalogue.ttl").read_text())
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue.ttl"),
                           publication_mode="reference", validation="convention")
    result = run(source)
    assert gather_errors(result["job"]) == []
    assert object_errors(result["job"]) == []
    datasets = {d["title"]: d for d in source_datasets(source)}
    assert set(datasets) == {"Qualité des eaux de baignade", "Pistes cyclables"}
    eau = datasets["Qualité des eaux de baignade"]
    assert eau["private"] is False
    assert eau["publication_mode"] == "reference"
    assert eau["url"] == "https://www.partenaire.example/donnees/qualite-eau"
    assert eau["themes"] == ["environnement-climat"]
    assert eau["license_id"] == "etalab-2.0"
    assert eau["resources"][0]["url"] == "https://data.partenaire.example/files/qualite-eau.csv"
    pistes = datasets["Pistes cyclables"]
    assert pistes["license_id"] == "odc-odbl"
    history = helpers.call_action("datasud_workflow_show", {"ignore_auth": True}, id=eau["id"])
    assert history["state"] == "published"
    assert history["history"][-1]["transition"] == "harvest_publish"


def _graph():
    import rdflib
    g = rdflib.Graph()
    g.parse(data=(FIXTURES / "catalogue.ttl").read_text(), format="turtle")
    return g


@pytest.mark.parametrize("syntax,content_type", [
    ("turtle", "text/turtle"), ("xml", "application/rdf+xml"), ("json-ld", "application/ld+json")])
def test_the_three_syntaxes(server, partner, syntax, content_type):
    server.pages["/catalogue"] = Page(_graph().serialize(format=syntax), content_type)
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue"),
                           validation="convention")
    result = run(source)
    assert gather_errors(result["job"]) == [] and object_errors(result["job"]) == []
    titles = sorted(d["title"] for d in source_datasets(source))
    assert titles == ["Pistes cyclables", "Qualité des eaux de baignade"]
    assert result["job"]["stats"]["added"] == 2


def _page(records: list[str], next_url: str | None) -> str:
    prefixes = (FIXTURES / "catalogue.ttl").read_text().split("<https://data.partenaire.example/catalogue>")[0]
    paging = ""
    if next_url:
        paging = ("@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n"
                  f"<{next_url}?self> a hydra:PartialCollectionView ; hydra:next <{next_url}> .\n")
    return prefixes + paging + "\n".join(records)


def _record(n: int, title: str | None = None, modified: str = "2026-10-01", licence: str | None =
            "https://www.etalab.gouv.fr/licence-ouverte-open-licence/", publisher: str = "Ville partenaire") -> str:
    title_line = f'    dct:title "{title or f"Jeu {n}"}" ;\n' if title != "" else ""
    licence_line = f"    dct:license <{licence}> ;\n" if licence else ""
    return (f"<https://data.partenaire.example/dataset/{n}> a dcat:Dataset ;\n{title_line}"
            f'    dct:description "Description du jeu {n}." ;\n'
            f'    dct:modified "{modified}"^^xsd:date ;\n'
            "    dcat:theme <http://publications.europa.eu/resource/authority/data-theme/TRAN> ;\n"
            f"    dcat:landingPage <https://www.partenaire.example/donnees/{n}> ;\n"
            f'    dct:publisher [ a foaf:Agent ; foaf:name "{publisher}" ] ;\n'
            f"    dcat:distribution <https://data.partenaire.example/dataset/{n}/csv> .\n"
            f"<https://data.partenaire.example/dataset/{n}/csv> a dcat:Distribution ;\n{licence_line}"
            f"    dcat:accessURL <https://data.partenaire.example/files/{n}.csv> ;\n"
            "    dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> .\n")


def test_hydra_paging(server, partner):
    server.pages["/catalogue"] = Page(_page([_record(1), _record(2)], server.url("/catalogue-2")))
    server.pages["/catalogue-2"] = Page(_page([_record(3)], None))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue"), validation="convention")
    result = run(source)
    assert sorted(d["title"] for d in source_datasets(source)) == ["Jeu 1", "Jeu 2", "Jeu 3"]
    assert "/catalogue-2" in server.requests
    assert result["job"]["stats"]["added"] == 3


def test_a_record_listed_twice_is_imported_once_with_a_warning(server, partner):
    """Pages that shift while they are read (a catalogue sorted by date of change, a
    record changed meanwhile) list a record on two pages: one dataset, not two."""
    server.pages["/catalogue"] = Page(_page([_record(1), _record(2)], server.url("/catalogue-2")))
    server.pages["/catalogue-2"] = Page(_page([_record(2), _record(3)], None))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue"), validation="convention")
    result = run(source)
    assert sorted(d["title"] for d in source_datasets(source)) == ["Jeu 1", "Jeu 2", "Jeu 3"]
    assert result["job"]["stats"]["added"] == 3
    [warning] = gather_errors(result["job"])
    assert warning.startswith("Avertissement : fiche « Jeu 2 » (https://data.partenaire.example/dataset/2)")
    assert "enregistrement déjà lu en page 1 (page 2) : seule sa première occurrence est importée" in warning
    again = run(source)["job"]  # nothing withdrawn, nothing rewritten
    assert again["stats"]["not modified"] == 3 and again["stats"]["deleted"] == 0


def test_workflow_mode_keeps_records_private_until_validated(server, partner):
    server.pages["/catalogue"] = Page(_page([_record(1)], None))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue"), validation="workflow")
    run(source)
    [dataset] = source_datasets(source)
    assert dataset["private"] is True
    shown = helpers.call_action("datasud_workflow_show", {"ignore_auth": True}, id=dataset["id"])
    assert shown["state"] == "submitted"
    assert shown["history"][-1]["transition"] == "harvest_submit"
    anonymous = helpers.call_action("package_search", {"user": ""}, fq=f'id:"{dataset["id"]}"')
    assert anonymous["count"] == 0
    # the legal service finds it in its queue
    queue = helpers.call_action("datasud_workflow_queue", {"user": partner["sysadmin"]["name"]})
    assert dataset["id"] in [d["id"] for d in queue]


def test_update_removal_and_reappearance(server, partner):
    server.pages["/catalogue"] = Page(_page([_record(1), _record(2), _record(3)], None))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue"), validation="convention")
    first = run(source)
    assert first["job"]["stats"]["added"] == 3
    ids = {d["title"]: d["id"] for d in source_datasets(source)}
    before = {d["id"]: d["metadata_modified"] for d in source_datasets(source)}

    # record 1 modified upstream, record 2 removed, record 3 unchanged
    server.pages["/catalogue"] = Page(_page([_record(1, title="Jeu 1 (corrigé)", modified="2026-11-01"),
                                             _record(3)], None))
    second = run(source)
    stats = second["job"]["stats"]
    assert (stats.get("updated"), stats.get("deleted"), stats.get("not modified")) == (1, 1, 1)
    by_id = {d["id"]: d for d in source_datasets(source)}
    assert by_id[ids["Jeu 1"]]["title"] == "Jeu 1 (corrigé)"
    assert by_id[ids["Jeu 3"]]["metadata_modified"] == before[ids["Jeu 3"]]  # not rewritten
    assert ids["Jeu 2"] not in by_id  # no current record in the source any more
    withdrawn = helpers.call_action("package_show", {"ignore_auth": True}, id=ids["Jeu 2"])
    assert withdrawn["private"] is True  # off the public catalogue, not deleted
    shown = helpers.call_action("datasud_workflow_show", {"ignore_auth": True}, id=withdrawn["id"])
    assert shown["state"] == "withdrawn"
    assert [h["transition"] for h in shown["history"]] == ["harvest_publish", "harvest_withdraw"]
    anonymous = helpers.call_action("package_search", {"user": ""}, fq=f'id:"{withdrawn["id"]}"')
    assert anonymous["count"] == 0

    # record 2 reappears: the same dataset comes back
    server.pages["/catalogue"] = Page(_page([_record(1, title="Jeu 1 (corrigé)", modified="2026-11-01"),
                                             _record(2), _record(3)], None))
    third = run(source)
    assert third["job"]["stats"].get("added", 0) == 0
    back = helpers.call_action("package_show", {"ignore_auth": True}, id=ids["Jeu 2"])
    assert back["private"] is False
    shown = helpers.call_action("datasud_workflow_show", {"ignore_auth": True}, id=ids["Jeu 2"])
    assert shown["state"] == "published"
    assert shown["history"][-1]["transition"] == "harvest_reappear"
    assert len(source_datasets(source)) == 3


def test_licences_are_never_silently_licence_ouverte(server, partner):
    server.pages["/catalogue"] = Page(_page([
        _record(1, licence=None),
        _record(2, licence="https://example.org/licence-maison"),
        _record(3, licence="https://creativecommons.org/licenses/by/4.0/"),
    ], None))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue"), validation="convention")
    run(source)
    by_title = {d["title"]: d for d in source_datasets(source)}
    assert by_title["Jeu 1"]["license_id"] == "notspecified"
    assert "harvested_licence" not in {e["key"] for e in by_title["Jeu 1"].get("extras", [])}
    assert by_title["Jeu 2"]["license_id"] == "notspecified"  # "Autre licence", as written upstream:
    extras = {e["key"]: e["value"] for e in by_title["Jeu 2"].get("extras", [])}
    assert extras["harvested_licence"] == "https://example.org/licence-maison"
    assert by_title["Jeu 3"]["license_id"] == "cc-by-4.0"


def test_default_licence_and_themes_of_the_source(server, partner):
    record = _record(1, licence=None).replace(
        "    dcat:theme <http://publications.europa.eu/resource/authority/data-theme/TRAN> ;\n", "")
    server.pages["/catalogue"] = Page(_page([record], None))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue"), validation="convention",
                           default_licence="etalab-2.0", default_themes=["culture-tourisme"])
    run(source)
    [dataset] = source_datasets(source)
    assert dataset["license_id"] == "etalab-2.0"
    assert dataset["themes"] == ["culture-tourisme"]


def test_publisher_filter(server, partner):
    server.pages["/catalogue"] = Page(_page([_record(1), _record(2, publisher="Autre producteur")], None))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue"), validation="convention",
                           publisher="Ville partenaire")
    run(source)
    assert [d["title"] for d in source_datasets(source)] == ["Jeu 1"]


# --- Hostile inputs: a failed job or record with a clear message, nothing lost --------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#"
         xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="https://data.partenaire.example/dataset/lol"><dct:title>&lol9;</dct:title></dcat:Dataset>
</rdf:RDF>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#"
         xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="https://data.partenaire.example/dataset/xxe"><dct:title>&secret;</dct:title></dcat:Dataset>
</rdf:RDF>"""


def _fifty_megabytes():
    chunk = b"# " + b"x" * (1024 * 1024 - 3) + b"\n"
    for _ in range(50):
        yield chunk


@pytest.fixture
def harvested(server, partner):
    """A source already harvested once (two published datasets), whose catalogue then turns hostile."""
    server.pages["/catalogue"] = Page(_page([_record(1), _record(2)], None))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue"), validation="convention")
    run(source)
    assert len(source_datasets(source)) == 2
    return source


def _failed_job_keeps_datasets(source, expected_message: str) -> None:
    result = run(source)
    errors = gather_errors(result["job"]) + object_errors(result["job"])
    assert any(expected_message in e for e in errors), errors
    # nothing lost: both datasets still there and public
    datasets = source_datasets(source, include_private=False)
    assert sorted(d["title"] for d in datasets) == ["Jeu 1", "Jeu 2"]


def test_billion_laughs(server, harvested):
    server.pages["/catalogue"] = Page(BILLION_LAUGHS, "application/rdf+xml")
    _failed_job_keeps_datasets(harvested, "il déclare des entités")


def test_external_entity(server, harvested):
    server.pages["/catalogue"] = Page(EXTERNAL_ENTITY, "application/rdf+xml")
    _failed_job_keeps_datasets(harvested, "il déclare des entités")


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_fifty_megabyte_response(server, harvested, declared):
    if declared:
        server.pages["/catalogue"] = Page(b"# " + b"x" * (50 * 1024 * 1024), "text/turtle")
    else:
        server.pages["/catalogue"] = Page(_fifty_megabytes, "text/turtle")
    _failed_job_keeps_datasets(harvested, "dépasse la taille autorisée")


def test_redirect_to_a_local_address(server, harvested):
    server.pages["/catalogue"] = Page("", status=302, headers={"Location": "http://127.0.0.1:6379/"})
    _failed_job_keeps_datasets(harvested, "désigne une adresse interne (127.0.0.1)")


def test_invalid_turtle(server, harvested):
    server.pages["/catalogue"] = Page("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<a> dcat:dataset [ ;;; ",
                                      "text/turtle")
    _failed_job_keeps_datasets(harvested, "Catalogue illisible (RDF mal formé)")


def test_record_without_title(app, server, harvested):
    """Only a record without title is refused: one without any theme (and a source without
    default themes) is imported without themes, with a warning."""
    themeless = _record(4).replace("    dcat:theme <http://publications.europa.eu/resource/authority/data-theme/TRAN> ;\n",
                                   "")
    server.pages["/catalogue"] = Page(_page([_record(1), _record(2), _record(3, title=""), themeless], None))
    result = run(harvested)
    assert "Enregistrement sans titre : il n'est pas importé." in object_errors(result["job"])
    # harvest_job_show counts the refused record as errored, not the one imported with a warning
    assert (result["job"]["stats"]["errored"], result["job"]["stats"]["with_warnings"]) == (1, 1)
    datasets = {d["title"]: d for d in source_datasets(harvested)}
    assert sorted(datasets) == ["Jeu 1", "Jeu 2", "Jeu 4"]
    assert datasets["Jeu 4"]["themes"] == [] and datasets["Jeu 1"]["themes"] == ["mobilite-transports"]
    assert "Jeu 4" in app.get(f"/dataset/{datasets['Jeu 4']['name']}", status=200).body
    assert "Jeu 4" in app.get(f"/dataset/{datasets['Jeu 4']['name']}.ttl", status=200).body
    assert any(e.startswith("Avertissement : fiche « Jeu 4 » (https://data.partenaire.example/dataset/4), champ "
                            "thèmes = « aucun » : aucun thème DataSud ne correspond") for e in object_errors(result["job"]))


def test_slow_server_times_out(server, harvested):
    import ckan.plugins.toolkit as tk
    server.pages["/catalogue"] = Page(_page([_record(1)], None), delay=3)
    before = tk.config["ckanext.datasud.harvest.timeout"]
    tk.config["ckanext.datasud.harvest.timeout"] = "1"
    try:
        _failed_job_keeps_datasets(harvested, "n'a pas répondu à temps")
    finally:
        tk.config["ckanext.datasud.harvest.timeout"] = before


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000/catalog.ttl", "http://10.1.2.3/dcat",
                                 "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd",
                                 "http://localhost:8983/solr/"])
def test_sources_on_internal_addresses_are_refused(partner, url):
    import ckan.plugins.toolkit as tk
    with pytest.raises(tk.ValidationError) as error:
        create_source(partner["sysadmin"], partner["org"], url)
    assert "url" in error.value.error_dict


def test_source_needs_a_partner_and_an_offered_schedule(server, partner):
    import ckan.plugins.toolkit as tk
    with pytest.raises(tk.ValidationError) as error:
        create_source(partner["sysadmin"], partner["org"], server.url("/catalogue"), frequency="ALWAYS")
    assert "frequency" in error.value.error_dict
    with pytest.raises(tk.ValidationError) as error:
        create_source(partner["sysadmin"], partner["org"], server.url("/catalogue"), publication_mode="copie")
    assert "publication_mode" in error.value.error_dict


# --- Partners' view: read-only datasets, the « Moissonnage » tab, job reports ----------

def test_harvested_dataset_is_read_only_with_a_note(app, server, partner):
    import ckan.plugins.toolkit as tk
    editor = ckan_factories.User()
    helpers.call_action("organization_member_create", id=partner["org"]["id"], username=editor["name"],
                        role="admin")
    server.pages["/catalogue"] = Page(_page([_record(1)], None))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue"), validation="convention")
    run(source)
    [dataset] = source_datasets(source)
    headers = {"Authorization": ckan_factories.APIToken(user=editor["name"])["token"]}
    refused = app.post("/api/action/package_patch", json={"id": dataset["id"], "title": "Modifié à la main"},
                       headers=headers, status=403)
    assert "moissonné depuis le catalogue" in refused.json["error"]["message"]
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("package_patch", {"user": editor["name"], "ignore_auth": False},
                            id=dataset["id"], title="Modifié à la main")
    page = app.get(f"/dataset/{dataset['name']}", extra_environ={"REMOTE_USER": editor["name"]})
    assert "datasud-harvested-notice" in page.body
    assert f"Catalogue de {partner['org']['title']}" in page.body
    assert f"/dataset/edit/{dataset['name']}" not in page.body


def test_partner_sees_sources_and_job_reports(app, server, partner):
    member = ckan_factories.User()
    helpers.call_action("organization_member_create", id=partner["org"]["id"], username=member["name"],
                        role="member")
    server.pages["/catalogue"] = Page(_page([_record(1), _record(2, title="")], None))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue"), validation="convention",
                           frequency="WEEKLY")
    result = run(source)
    tab = app.get(f"/organization/moissonnage/{partner['org']['name']}", extra_environ={"REMOTE_USER": member["name"]})
    assert source["title"] in tab.body
    assert "hebdomadaire" in tab.body
    assert "Pré-validé par la convention" in tab.body
    report = app.get(f"/moissonnage/job/{result['job']['id']}", extra_environ={"REMOTE_USER": member["name"]})
    assert "Enregistrement sans titre : il n&#39;est pas importé." in report.body
    # counts of the job: 1 new, 1 error
    assert '<span class="badge bg-success">1</span>' in report.body
    assert '<span class="badge bg-danger">1</span>' in report.body
    # not for anonymous visitors nor other partners
    assert app.get(f"/organization/moissonnage/{partner['org']['name']}", status=403)
    outsider = ckan_factories.User()
    app.get(f"/moissonnage/job/{result['job']['id']}", extra_environ={"REMOTE_USER": outsider["name"]}, status=403)


def test_source_form_in_french_with_datasud_settings(app, server, partner):
    from ckanext.harvest.model import HarvestSource
    admin = ckan_factories.User()
    helpers.call_action("organization_member_create", id=partner["org"]["id"], username=admin["name"], role="admin")
    headers = {"Authorization": ckan_factories.APIToken(user=admin["name"])["token"]}
    form = app.get("/harvest/new", headers=headers)
    for label in ("Adresse du catalogue", "Mode de publication", "Pré-validé par la convention : publié directement",
                  "Catalogue DCAT", "hebdomadaire", "Licence des fiches qui n'en indiquent pas"):
        assert label in form.body, label
    assert "ALWAYS" not in form.body  # only manual, daily, weekly
    app.post("/harvest/new", headers=headers, data={
        "url": server.url("/catalogue"), "title": "Catalogue de la ville", "name": "catalogue-ville",
        "source_type": "datasud_dcat", "owner_org": partner["org"]["id"], "frequency": "DAILY",
        "publication_mode": "download", "validation": "convention", "default_themes": ["culture-tourisme"],
        "default_licence": "etalab-2.0", "publisher": "Ville partenaire", "config": "", "save": "",
    })
    source = helpers.call_action("harvest_source_show", {"ignore_auth": True}, id="catalogue-ville")
    assert source["frequency"] == "DAILY"
    from ckanext.datasud.harvesting.settings import SourceSettings
    settings = SourceSettings.of(HarvestSource.get(source["id"]))
    assert (settings.publication_mode, settings.validation, settings.default_themes, settings.default_licence,
            settings.publisher) == ("download", "convention", ("culture-tourisme",), "etalab-2.0", "Ville partenaire")



def test_dcat_ap_1_and_3_records(server, partner):
    server.pages["/ap1"] = Page((FIXTURES / "dcat-ap-1.ttl").read_text())
    server.pages["/ap3"] = Page((FIXTURES / "dcat-ap-3.ttl").read_text())
    ap1 = create_source(partner["sysadmin"], partner["org"], server.url("/ap1"), validation="convention")
    ap3 = create_source(partner["sysadmin"], partner["org"], server.url("/ap3"), validation="convention")
    for source in (ap1, ap3):
        result = run(source)
        assert object_errors(result["job"]) == [] and gather_errors(result["job"]) == []
    [comptages] = source_datasets(ap1)
    assert comptages["themes"] == ["mobilite-transports"]
    assert comptages["frequency"].endswith("/frequency/ANNUAL")
    assert (comptages["temporal_start"][:10], comptages["temporal_end"][:10]) == ("2020-01-01", "2025-12-31")
    assert '"Polygon"' in comptages["spatial"]
    assert comptages["contact_email"] == "routes@partenaire.example"
    assert comptages["license_id"] == "etalab-2.0"
    assert comptages["resources"][0]["format"] == "CSV"
    [bornes] = source_datasets(ap3)
    assert bornes["themes"] == ["energies-reseaux"]
    assert bornes["temporal_start"][:10] == "2023-01-01"
    assert bornes["contact_name"] == "Mobilité"
    assert bornes["resources"][0]["format"] == "GeoJSON"  # CKAN's own spelling of the format


def test_an_empty_catalogue_withdraws_nothing(server, harvested):
    server.pages["/catalogue"] = Page(_page([], None))
    _failed_job_keeps_datasets(harvested, "ne liste plus aucune fiche")


@pytest.mark.parametrize("validation,state_after", [("convention", "published"), ("workflow", "submitted")])
def test_a_licence_changed_upstream(server, partner, validation, state_after):
    """Pre-validated: the convention covers it, the dataset stays published. Workflow: a
    published dataset whose licence changes goes back to the legal service, as for a
    person's edit."""
    server.pages["/catalogue"] = Page(_page([_record(1)], None))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalogue"), validation=validation)
    run(source)
    [dataset] = source_datasets(source)
    if validation == "workflow":  # harvested as "submitted": the legal service, then the committee
        reviewer = {"user": partner["sysadmin"]["name"]}
        helpers.call_action("datasud_workflow_legal_opinion", dict(reviewer), id=dataset["id"], opinion="favourable")
        helpers.call_action("datasud_workflow_committee_decision", dict(reviewer), id=dataset["id"],
                            decision="validated")
        assert helpers.call_action("package_show", {"ignore_auth": True}, id=dataset["id"])["private"] is False
    server.pages["/catalogue"] = Page(_page([_record(1, modified="2026-11-02",
                                                     licence="https://opendatacommons.org/licenses/odbl/1-0/")], None))
    assert run(source)["job"]["stats"].get("updated") == 1
    after = helpers.call_action("package_show", {"ignore_auth": True}, id=dataset["id"])
    assert after["license_id"] == "odc-odbl"
    shown = helpers.call_action("datasud_workflow_show", {"ignore_auth": True}, id=dataset["id"])
    assert shown["state"] == state_after
    assert after["private"] is (state_after != "published")
