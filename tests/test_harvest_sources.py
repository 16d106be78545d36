"""Harvest sources' settings (kept through every door, shown as stored) and job reports
(French messages naming the record, the resource and the field; warnings apart).

Issue 11, items 17, 18 and 3 (the ``rdf_format`` setting). Pure functions have unit
tests; the doors (Action API, source form, report page) run against the real database,
and the report is that of one harvest of tests/fixtures/sources/udata-reports.ttl."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud.harvesting import mapping, reports, settings
from tests import factories
from tests.harvesting import CatalogueServer, Page, allowed_hosts, create_source, run, source_datasets

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
DCAT_SCHEMA = settings.extra_schema("publisher", "rdf_format")


# --- settings.merge, rdf_format, the advanced configuration (no database) ---------------

def test_an_update_leaving_settings_out_keeps_them():
    stored = {"publication_mode": "download", "validation": "convention", "default_themes": ["culture-tourisme"],
              "rdf_format": "xml", "custom": 1}
    merged, refused = settings.merge(DCAT_SCHEMA, stored, None, {"publisher": "Ville"})
    assert refused == {}
    assert merged == {**stored, "publisher": "Ville"}


def test_a_given_empty_setting_resets_it_to_its_default():
    stored = {"publication_mode": "download", "default_themes": ["culture-tourisme"], "rdf_format": "xml"}
    merged, _ = settings.merge(DCAT_SCHEMA, stored, None, {"publication_mode": "", "default_themes": [""],
                                                            "rdf_format": ""})
    assert merged == {"publication_mode": "reference"}


def test_a_changed_field_wins_over_the_given_configuration_whose_other_keys_replace_the_stored_ones():
    stored = {"validation": "convention", "old_option": True}
    merged, _ = settings.merge(DCAT_SCHEMA, stored, {"validation": "convention", "rdf_format": "turtle", "new": 2},
                               {"validation": "workflow"})
    assert merged == {"validation": "workflow", "rdf_format": "turtle", "new": 2}


def test_a_field_repeating_the_stored_value_leaves_the_configuration_change():
    """package_patch sends the stored settings back as fields beside the new config."""
    stored = {"validation": "convention", "rdf_format": "xml"}
    merged, _ = settings.merge(DCAT_SCHEMA, stored, {"rdf_format": "turtle"},
                               {"validation": "convention", "rdf_format": "xml"})
    assert merged == {"validation": "convention", "rdf_format": "turtle"}


def test_refused_settings_are_returned_apart_and_stored_ones_kept():
    merged, refused = settings.merge(DCAT_SCHEMA, {"rdf_format": "xml"}, None,
                                     {"rdf_format": "rdfa", "default_themes": ["plage"]})
    assert refused == {"rdf_format": "rdfa", "default_themes": ["plage"]}
    assert merged == {"rdf_format": "xml"}


@pytest.mark.parametrize("given,stored", [("xml", "xml"), ("RDF/XML", "xml"), ("application/rdf+xml", "xml"),
                                          ("ttl", "turtle"), ("turtle", "turtle"), ("jsonld", "json-ld"),
                                          ("n3", "n3"), ("nt", "nt"), ("", ""), (None, "")])
def test_rdf_format_values(given, stored):
    assert settings.clean(DCAT_SCHEMA["rdf_format"], given) == stored


def test_rdf_format_refused_in_french():
    with pytest.raises(tk.Invalid) as error:
        settings.clean(DCAT_SCHEMA["rdf_format"], "rdfa")
    assert error.value.error == ("Format du catalogue inconnu : « rdfa » (xml, turtle, json-ld, n3 ou nt ; "
                                 "vide : détecté).")


def test_effective_settings_fill_defaults():
    values = settings.effective(DCAT_SCHEMA, {"validation": "convention", "rdf_format": "bogus"})
    expected = {"publication_mode": "reference", "validation": "convention", "default_themes": [],
                "default_licence": "", "publisher": "", "rdf_format": ""}
    assert {key: values[key] for key in expected} == expected


def test_advanced_configuration_leaves_out_the_form_fields():
    config = json.dumps({"publication_mode": "download", "rdf_format": "xml", "custom": "x"})
    assert json.loads(settings.advanced(config, DCAT_SCHEMA)) == {"custom": "x"}
    assert settings.advanced(json.dumps({"validation": "workflow"}), DCAT_SCHEMA) == ""
    assert settings.advanced("{not json", DCAT_SCHEMA) == "{not json"


# --- mapping.validation_message (no database) ------------------------------------------

def test_validation_message_names_record_resource_field_and_value():
    dataset = {"title": "Arrêts de bus", "extras": [{"key": "uri", "value": "https://data.example/ds/1"}],
               "license_id": "bogus",
               "resources": [{"name": "arrets.csv", "url": "https://data.example/arrets.csv"},
                             {"url": "https://data.example/arrets.json", "mimetype": "json please"}]}
    error = tk.ValidationError({
        "license_id": ["Licence inconnue."],
        "resources": [{}, {"mimetype": ['Type de média invalide : « json please » (attendu par ex. text/csv).']}]})
    message = mapping.validation_message(error, dataset)
    assert message.startswith("Enregistrement refusé par le schéma DataSud — fiche « Arrêts de bus » "
                              "(https://data.example/ds/1) : ")
    assert "ressource 2 « https://data.example/arrets.json », champ Type de média (mimetype) = « json please » : " \
           "Type de média invalide" in message
    assert "champ Licence (license_id) = « bogus » : Licence inconnue." in message
    assert "{" not in message and "Package resource" not in message


def test_validation_message_without_the_dataset():
    message = mapping.validation_message(tk.ValidationError({"resources": [{"url": {"0": ["Adresse invalide."]}}]}))
    assert message == "Enregistrement refusé par le schéma DataSud — fiche : ressource 1, champ Fichier ou lien " \
                      "(url) : Adresse invalide."


# --- Sources through the Action API and the form ---------------------------------------

@pytest.fixture
def partner(clean_db, clean_index):
    return {"org": factories.Organization(), "sysadmin": ckan_factories.Sysadmin()}


@pytest.fixture
def server():
    with CatalogueServer() as server, allowed_hosts(server.host):
        yield server


def _stored(source_id: str) -> dict:
    from ckanext.harvest.model import HarvestSource
    import ckan.model as model
    model.Session.remove()
    return json.loads(HarvestSource.get(source_id).config or "{}")


def test_settings_are_shown_and_kept_through_every_door(server, partner):
    user = {"user": partner["sysadmin"]["name"]}
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalog.rdf"),
                           publication_mode="download", validation="convention",
                           default_themes=["culture-tourisme"], config='{"rdf_format": "xml"}')
    # given as fields and in config: both kept (ckanext-harvest kept only the config)
    assert _stored(source["id"]) == {"publication_mode": "download", "validation": "convention",
                                     "default_themes": ["culture-tourisme"], "rdf_format": "xml"}
    shown = helpers.call_action("harvest_source_show", {"ignore_auth": True}, id=source["id"])
    assert (shown["publication_mode"], shown["validation"], shown["default_themes"], shown["rdf_format"],
            shown["default_licence"], shown["publisher"]) == \
        ("download", "convention", ["culture-tourisme"], "xml", "", "")
    by_url = helpers.call_action("harvest_source_show", {"ignore_auth": True}, url=source["url"])
    assert (by_url["id"], by_url["validation"]) == (source["id"], "convention")
    # patches and updates that leave the settings out keep them
    helpers.call_action("harvest_source_patch", dict(user), id=source["id"], title="Catalogue renommé")
    helpers.call_action("harvest_source_update", dict(user), id=source["id"], url=source["url"],
                        name=source["name"], source_type="datasud_dcat", owner_org=partner["org"]["id"])
    helpers.call_action("package_patch", dict(user), id=source["id"], notes="Notes")
    assert _stored(source["id"]) == {"publication_mode": "download", "validation": "convention",
                                     "default_themes": ["culture-tourisme"], "rdf_format": "xml"}
    # a patch changing one setting changes that one only; in config too
    helpers.call_action("package_patch", dict(user), id=source["id"], validation="workflow")
    helpers.call_action("harvest_source_patch", dict(user), id=source["id"], config='{"rdf_format": "turtle"}')
    assert _stored(source["id"]) == {"publication_mode": "download", "validation": "workflow",
                                     "default_themes": ["culture-tourisme"], "rdf_format": "turtle"}
    # a given empty value resets to the default
    helpers.call_action("harvest_source_patch", dict(user), id=source["id"], publication_mode="",
                        default_themes=[], rdf_format="")
    assert _stored(source["id"]) == {"publication_mode": "reference", "validation": "workflow"}
    shown = helpers.call_action("harvest_source_show", {"ignore_auth": True}, id=source["id"])
    assert (shown["publication_mode"], shown["default_themes"], shown["rdf_format"]) == ("reference", [], "")
    # refused values: a French message on the field, nothing changed
    for field, value, message in [("rdf_format", "rdfa", "Format du catalogue inconnu"),
                                  ("validation", "auto", "Validation inconnue")]:
        with pytest.raises(tk.ValidationError) as error:
            helpers.call_action("harvest_source_patch", dict(user), id=source["id"], **{field: value})
        assert message in " ".join(error.value.error_dict[field])
    with pytest.raises(tk.ValidationError) as error:
        helpers.call_action("harvest_source_patch", dict(user), id=source["id"], config='{"rdf_format": "x"}')
    assert "Format du catalogue inconnu : « x »" in " ".join(error.value.error_dict["rdf_format"])
    assert _stored(source["id"]) == {"publication_mode": "reference", "validation": "workflow"}
    # the harvest reads the same settings
    from ckanext.harvest.model import HarvestSource
    stored = settings.SourceSettings.of(HarvestSource.get(source["id"]))
    assert (stored.publication_mode, stored.validation, stored.rdf_format) == ("reference", "workflow", "")
    # settings alone do not make ckanext-harvest's same-URL check stricter than before
    twin = create_source(partner["sysadmin"], partner["org"], server.url("/catalog.rdf?bis"), validation="workflow")
    assert _stored(twin["id"]) == {"validation": "workflow"}


def _selected(body: str, select_id: str) -> list[str]:
    select = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', body, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"\s*selected', select)


def test_edit_form_shows_the_stored_settings_and_saves_them(app, server, partner):
    admin = ckan_factories.User()
    helpers.call_action("organization_member_create", id=partner["org"]["id"], username=admin["name"], role="admin")
    headers = {"Authorization": ckan_factories.APIToken(user=admin["name"])["token"]}
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalog.rdf"),
                           publication_mode="download", validation="convention",
                           default_themes=["culture-tourisme", "social-sante-sports"], default_licence="odc-odbl",
                           publisher="Ville partenaire", config='{"rdf_format": "xml", "custom": "gardé"}')
    # the Action API answers GET with the settings (the partner's admin)
    api = app.get(f"/api/action/harvest_source_show?id={source['id']}", headers=headers).json["result"]
    assert (api["validation"], api["rdf_format"], api["default_licence"]) == ("convention", "xml", "odc-odbl")
    form = app.get(f"/harvest/edit/{source['name']}", headers=headers).body
    assert _selected(form, "field-validation") == ["convention"]
    assert _selected(form, "field-publication-mode") == ["download"]
    assert _selected(form, "field-rdf-format") == ["xml"]
    assert _selected(form, "field-default-licence") == ["odc-odbl"]
    assert sorted(_selected(form, "field-default-themes")) == ["culture-tourisme", "social-sante-sports"]
    assert "Format du catalogue (DCAT)" in form and "Automatique : détecté d" in form
    # French labels of the themes, not their multilingual dict
    assert "Culture" in form and "{&#39;fr&#39;" not in form and "{'fr'" not in form
    textarea = re.search(r'<textarea id="field-config"[^>]*>(.*?)</textarea>', form, re.S).group(1)
    assert "custom" in textarea and "rdf_format" not in textarea and "validation" not in textarea
    # saving the form as shown, with the validation changed and no theme chosen
    app.post(f"/harvest/edit/{source['name']}", headers=headers, data={
        "url": source["url"], "title": source["title"], "name": source["name"], "notes": "",
        "source_type": "datasud_dcat", "owner_org": partner["org"]["id"], "frequency": "MANUAL",
        "publication_mode": "download", "validation": "workflow", "default_themes": "",
        "default_licence": "odc-odbl", "rdf_format": "xml", "publisher": "Ville partenaire",
        "cql": "", "record_url_template": "", "organizations_filter_include": "",
        "config": '{"custom": "gardé"}', "save": ""})
    assert _stored(source["id"]) == {"publication_mode": "download", "validation": "workflow",
                                     "default_licence": "odc-odbl", "publisher": "Ville partenaire",
                                     "rdf_format": "xml", "custom": "gardé"}
    form = app.get(f"/harvest/edit/{source['name']}", headers=headers).body
    assert _selected(form, "field-validation") == ["workflow"]
    assert _selected(form, "field-default-themes") == []


# --- One harvest, its report (reports.job_report and the French page) ------------------

HTML_TITLE = "<b>Arrêts</b> (GeoJSON)"
BUS = "Arrêts de bus du réseau urbain"
TERRASSES = "Terrasses autorisées sur le domaine public"


def test_job_report_lists_refused_records_and_warnings_apart(app, server, partner):
    member = ckan_factories.User()
    helpers.call_action("organization_member_create", id=partner["org"]["id"], username=member["name"],
                        role="member")
    server.pages["/catalog.ttl"] = Page((FIXTURES / "udata-reports.ttl").read_text(encoding="utf-8"))
    source = create_source(partner["sysadmin"], partner["org"], server.url("/catalog.ttl"), validation="convention")
    with app.flask_app.test_request_context():  # as ckanext-harvest's consumers run
        result = run(source)
    imported = {d["title"]: d for d in source_datasets(source)}
    assert set(imported) == {"Horaires des déchetteries de la métropole", TERRASSES, BUS}
    # HTML in a distribution's title: removed, not a refusal
    assert [r["name"] for r in imported[BUS]["resources"]] == ["arrets.csv", "Arrêts (GeoJSON)"]

    report = reports.job_report(result["job"]["id"])
    counts = report["job"]["counts"]
    assert (counts["new"], counts["errors"], counts["with_warnings"]) == (3, 1, 2)
    assert report["gather_errors"] == []
    [refused] = report["record_errors"]
    assert refused["message"].startswith("Enregistrement sans titre")
    warned = {w["title"]: w["message"] for w in report["warnings"]}
    assert set(warned) == {TERRASSES, BUS}
    assert all(m.startswith(mapping.WARNING_PREFIX) for m in warned.values())
    assert warned[BUS] == (f"{mapping.WARNING_PREFIX}fiche « {BUS} » (https://www.data.gouv.fr/fr/datasets/"
                           f"61f2a0c9d3e4b5a6c7d8e903/), champ ressource « {HTML_TITLE} », name = « {HTML_TITLE} » : "
                           "balises HTML retirées (elles ne sont pas permises dans ce champ).")
    assert {(w["title"], w["dataset"]) for w in report["warnings"]} == \
        {(TERRASSES, imported[TERRASSES]["name"]), (BUS, imported[BUS]["name"])}
    assert not any(w["message"] == e["message"] for w in report["warnings"] for e in report["record_errors"])

    page = app.get(f"/moissonnage/job/{result['job']['id']}", extra_environ={"REMOTE_USER": member["name"]})
    body = page.body
    assert '<html lang="fr"' in body
    assert "Enregistrements non importés" in body and "Avertissements (fiches importées)" in body
    errors_table = body.split('datasud-harvest-record-errors')[1].split("</table>")[0]
    warnings_table = body.split('datasud-harvest-warnings')[1].split("</table>")[0]
    assert "Enregistrement sans titre" in errors_table
    assert "ressource « &lt;b&gt;Arrêts&lt;/b&gt; (GeoJSON) », name" in warnings_table
    assert "Licence de réutilisation de la Ville, 2019" in warnings_table
    assert f'href="/dataset/{imported[TERRASSES]["name"]}">{TERRASSES}</a>' in warnings_table
    assert "61f2a0c9d3e4b5a6c7d8e902" in warnings_table
    assert "Licence de réutilisation" not in errors_table
    assert '<span class="badge bg-info text-dark">2</span> fiches importées avec avertissements' in body
    tab = app.get(f"/organization/moissonnage/{partner['org']['name']}",
                  extra_environ={"REMOTE_USER": member["name"]}).body
    assert "Importées avec avertissements" in tab and '<span class="badge bg-info text-dark">2</span>' in tab


def test_settings_given_as_fields_only_are_shown(server, partner):
    """Settings given as fields alone reach the harvesters' configuration (ckanext-harvest
    folds them in), and harvest_source_show returns that configuration's values."""
    source = create_source(partner["sysadmin"], partner["org"], server.url("/fields-only.xml"),
                           source_type="datasud_csw", validation="convention", excluded_hosts="*.i2")
    shown = helpers.call_action("harvest_source_show", {"ignore_auth": True}, id=source["id"])
    assert (shown["validation"], shown["excluded_hosts"], shown["publication_mode"]) == \
        ("convention", ["*.i2"], "reference")
    assert json.loads(shown["config"]) == {"validation": "convention", "excluded_hosts": ["*.i2"]}
