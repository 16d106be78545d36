"""The Turtle catalogue assembled from each dataset's kept fragment (issue 14, item 5:
``dcat_fragments.py``): the same graph as one serialized at once, never a dataset as it
was before a change (its own, its organisation's), never a withdrawn one, and prefixes
merged without a clash. Real PostgreSQL, Solr and Redis."""
from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

import ckan.plugins.toolkit as tk
from ckan.tests import helpers

from ckanext.datasud import dcat_fragments
from tests import factories


@pytest.fixture(scope="module")
def published(clean_module_db):
    org = factories.Organization(title="Ville de Gap")
    datasets = [factories.Dataset(owner_org=org["id"], title=f"Relevés de la station {i}",
                                  resources=[{"url": f"https://exemple.fr/releves-{i}.csv", "format": "CSV",
                                              "name": "Relevés"}])
                for i in range(3)]
    return org, datasets


def catalogue(monkeypatch, fragments: bool = True) -> tuple[str, Graph]:
    monkeypatch.setitem(tk.config, "ckanext.datasud.dcat.fragment_cache", "true" if fragments else "false")
    text = helpers.call_action("dcat_catalog_show", {"ignore_auth": False}, format="ttl")
    return text, Graph().parse(data=text, format="turtle")


def titles(graph: Graph) -> set[str]:
    return {str(graph.value(d, DCTERMS.title)) for d in graph.subjects(RDF.type, DCAT.Dataset)}


def test_assembled_page_is_the_graph_serialized_at_once(published, monkeypatch):
    _, plain = catalogue(monkeypatch, fragments=False)
    first_text, first = catalogue(monkeypatch)   # fragments computed and kept
    again_text, again = catalogue(monkeypatch)   # fragments read back
    assert len(plain) > 60
    assert isomorphic(plain, first) and isomorphic(plain, again)
    assert again_text == first_text
    assert titles(again) == {d["title"] for d in published[1]}
    kept = dcat_fragments.fragments(["euro_dcat_ap_3", "datasud"],
                                    [helpers.call_action("package_show", id=published[1][0]["id"])])
    assert "Relevés de la station 0" in kept[0]


def test_a_changed_dataset_is_never_served_as_it_was(published, monkeypatch):
    dataset = published[1][1]
    catalogue(monkeypatch)
    sysadmin = helpers.call_action("get_site_user")["name"]
    helpers.call_action("package_patch", {"user": sysadmin}, id=dataset["id"], title="Relevés corrigés")
    _, graph = catalogue(monkeypatch)
    assert "Relevés corrigés" in titles(graph)
    assert dataset["title"] not in titles(graph)
    helpers.call_action("package_patch", {"user": sysadmin}, id=dataset["id"], title=dataset["title"])


def test_an_organisation_renamed_is_the_publisher_at_once(published, monkeypatch):
    org = published[0]
    catalogue(monkeypatch)
    sysadmin = helpers.call_action("get_site_user")["name"]
    helpers.call_action("organization_patch", {"user": sysadmin}, id=org["id"], title="Commune de Gap")
    _, graph = catalogue(monkeypatch)
    names = {str(n) for d in graph.subjects(RDF.type, DCAT.Dataset)
             for agent in graph.objects(d, DCTERMS.publisher) for n in graph.objects(agent, FOAF.name)}
    assert "Commune de Gap" in names and "Ville de Gap" not in names


def test_a_withdrawn_dataset_leaves_the_catalogue(published, monkeypatch):
    dataset = published[1][2]
    catalogue(monkeypatch)
    sysadmin = helpers.call_action("get_site_user")["name"]
    helpers.call_action("datasud_workflow_withdraw", {"user": sysadmin}, id=dataset["id"],
                        comment="Données erronées.")
    text, graph = catalogue(monkeypatch)
    assert dataset["title"] not in titles(graph)
    assert dataset["id"] not in text


def test_clashing_prefixes_are_written_without_prefix():
    head = "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n\n<https://catalogue.example/> a dcat:Catalog .\n"
    one = "@prefix ns1: <https://one.example/> .\n\n<https://a.example/1> ns1:p \"un\" .\n"
    two = "@prefix ns1: <https://two.example/> .\n\n<https://a.example/2> ns1:p \"deux\" .\n"
    graph = Graph().parse(data=dcat_fragments.merge(head, ["https://a.example/1", "https://a.example/2"],
                                                    [one, two]), format="turtle")
    assert (URIRef("https://a.example/1"), URIRef("https://one.example/p"), Literal("un")) in graph
    assert (URIRef("https://a.example/2"), URIRef("https://two.example/p"), Literal("deux")) in graph
    assert len(list(graph.objects(None, DCAT.dataset))) == 2


def test_dataset_page_structured_data_follows_the_dataset(published):
    import json
    import re
    app = helpers._get_test_app()
    dataset = published[1][0]

    def structured_names() -> set[str]:
        body = app.get(f"/dataset/{dataset['name']}").body
        [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
        return {node.get("schema:name") for node in json.loads(block)["@graph"]
                if node.get("@type") == "schema:Dataset"}

    assert dataset["title"] in structured_names()
    assert dataset["title"] in structured_names()  # kept, read back
    sysadmin = helpers.call_action("get_site_user")["name"]
    helpers.call_action("package_patch", {"user": sysadmin}, id=dataset["id"], title="Relevés horaires")
    names = structured_names()
    assert "Relevés horaires" in names and dataset["title"] not in names


def test_a_warmed_catalogue_is_exported_without_serializing_again(published, monkeypatch):
    """What Celery does after each change and nightly (dcat_endpoints.warm_catalogue):
    the next export finds every published dataset kept; a change is made again, alone."""
    from ckanext.datasud.dcat_endpoints import warm_catalogue
    sysadmin = helpers.call_action("get_site_user")["name"]
    helpers.call_action("package_patch", {"user": sysadmin}, id=published[1][1]["id"], notes="Une autre description.")
    assert warm_catalogue() == 2  # the two published ones (the third was withdrawn above)
    serialized = []
    original = dcat_fragments.Serializer.graph_from_dataset

    def counted(self, dataset_dict):
        serialized.append(dataset_dict["id"])
        return original(self, dataset_dict)

    monkeypatch.setattr(dcat_fragments.Serializer, "graph_from_dataset", counted)
    _, graph = catalogue(monkeypatch)
    assert serialized == [] and len(titles(graph)) == 2
    changed = published[1][0]["id"]
    helpers.call_action("package_patch", {"user": sysadmin}, id=changed, title="Relevés quotidiens")
    assert warm_catalogue([changed, published[1][2]["id"]]) == 1  # the withdrawn one is not published
    # made again here, unless the suite's Celery worker did it first (the change queued it)
    assert set(serialized) <= {changed}
    before = len(serialized)
    _, graph = catalogue(monkeypatch)
    assert len(serialized) == before and "Relevés quotidiens" in titles(graph)


def test_a_change_to_a_published_dataset_queues_its_warming_and_a_private_one_does_not(published, monkeypatch):
    from ckanext.datasud import dcat_endpoints, outbox
    monkeypatch.setitem(tk.config, "ckanext.datasud.dcat.warm_after_change", "true")
    queued = []
    monkeypatch.setattr(outbox, "send", lambda task, args=None, **kw: queued.append((task.name, args)))
    sysadmin = helpers.call_action("get_site_user")["name"]
    helpers.call_action("package_patch", {"user": sysadmin}, id=published[1][1]["id"], notes="Encore une autre.")
    assert ("datasud.warm_catalogue", [[published[1][1]["id"]]]) in queued
    queued.clear()
    dcat_endpoints.queue_warm_catalogue({published[1][2]["id"]})  # withdrawn: not in the catalogue
    assert queued == []


def test_a_warmed_dataset_page_finds_its_structured_data_kept(published, monkeypatch):
    """The catalogue's warming (after each change, nightly) keeps each published
    dataset page's schema.org JSON-LD too: the first anonymous visit serializes none and
    gets the graph the page would have written; a change since the warming is shown."""
    import json
    import re
    from ckanext.datasud.dcat_endpoints import warm_catalogue
    monkeypatch.setitem(tk.config, "ckanext.datasud.dcat.fragment_cache", "true")
    app = helpers._get_test_app()
    dataset = published[1][0]
    sysadmin = helpers.call_action("get_site_user")["name"]
    # a description never kept before: only the warming below can have kept this page's JSON-LD
    helpers.call_action("package_patch", {"user": sysadmin}, id=dataset["id"], notes="Relevés réchauffés.")
    with app.flask_app.test_request_context():
        assert warm_catalogue([dataset["id"], published[1][2]["id"]]) == 1  # the withdrawn one: not published
    serialized = []
    original = dcat_fragments.structured_data

    def counted(dataset_dict, profiles):
        serialized.append(dataset_dict["id"])
        return original(dataset_dict, profiles)

    monkeypatch.setattr(dcat_fragments, "structured_data", counted)

    def structured_data() -> tuple[str, list[dict]]:
        body = app.get(f"/dataset/{dataset['name']}").body
        [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
        return block, [node for node in json.loads(block)["@graph"] if node.get("@type") == "schema:Dataset"]

    warmed, nodes = structured_data()
    assert serialized == []
    assert [node.get("schema:description") for node in nodes] == ["Relevés réchauffés."]
    monkeypatch.setitem(tk.config, "ckanext.datasud.dcat.fragment_cache", "false")
    computed, _ = structured_data()  # what the page writes itself
    assert serialized == [dataset["id"]]
    assert isomorphic(Graph().parse(data=warmed, format="json-ld"), Graph().parse(data=computed, format="json-ld"))
    monkeypatch.setitem(tk.config, "ckanext.datasud.dcat.fragment_cache", "true")
    helpers.call_action("package_patch", {"user": sysadmin}, id=dataset["id"], title="Relevés du matin")
    _, nodes = structured_data()
    assert serialized == [dataset["id"]] * 2  # changed since the warming: serialized by its page
    assert [node.get("schema:name") for node in nodes] == ["Relevés du matin"]


def test_the_warm_catalogue_command_keeps_turtle_and_page_json_ld(published, cli, monkeypatch):
    """``ckan datasud warm-catalogue`` (after a restore, a Redis flush): every published
    dataset's Turtle and page JSON-LD kept, in the portal's language."""
    from ckan.cli.cli import ckan as ckan_command
    monkeypatch.setitem(tk.config, "ckanext.datasud.dcat.fragment_cache", "true")
    sysadmin = helpers.call_action("get_site_user")["name"]
    dataset = published[1][1]
    helpers.call_action("package_patch", {"user": sysadmin}, id=dataset["id"], notes="Relevés de la commande.")
    result = cli.invoke(ckan_command, ["datasud", "warm-catalogue"])
    assert result.exit_code == 0, result.output
    assert "2 datasets kept" in result.output  # the third was withdrawn above
    serialized = []
    monkeypatch.setattr(dcat_fragments, "structured_data", lambda *args: serialized.append(args) or "{}")
    monkeypatch.setattr(dcat_fragments.Serializer, "graph_from_dataset", lambda *args: serialized.append(args))
    body = helpers._get_test_app().get(f"/dataset/{dataset['name']}").body
    _, graph = catalogue(monkeypatch)
    assert serialized == []
    assert "Relevés de la commande." in body and len(titles(graph)) == 2


def test_one_dataset_failing_does_not_stop_the_warming_of_the_others(published, monkeypatch):
    from ckanext.datasud import dataset_page
    monkeypatch.setitem(tk.config, "ckanext.datasud.dcat.fragment_cache", "true")
    first, second = published[1][0], published[1][1]
    original = dcat_fragments.structured_data

    def failing(dataset_dict, profiles):
        if dataset_dict["id"] == first["id"]:
            raise RuntimeError("profil en panne")
        return original(dataset_dict, profiles)

    monkeypatch.setattr(dcat_fragments, "structured_data", failing)
    sysadmin = helpers.call_action("get_site_user")["name"]
    for dataset in (first, second):  # stamps never kept before
        helpers.call_action("package_patch", {"user": sysadmin}, id=dataset["id"], notes="Relevés en panne ?")
    app = helpers._get_test_app()
    with app.flask_app.test_request_context():
        assert dataset_page.warm_structured_data([first["id"], second["id"]]) == 1
    monkeypatch.setattr(dcat_fragments, "structured_data", lambda *args: pytest.fail("serialized again"))
    assert "Relevés en panne ?" in app.get(f"/dataset/{second['name']}").body  # kept by the warming


def test_the_partner_is_written_as_publisher_without_organization_show(clean_module_db, monkeypatch):
    """The fragments write the partner as publisher from the page's organisation records
    (one query), never through ckanext-dcat's organization_show fallback, with the same
    triples as the catalogue written at once (SIREN, kind, website, a harvested record's
    own publisher named as such and the partner as creator)."""
    org = factories.Organization(title="Communauté d'agglomération Gap-Tallard-Durance", siren="200067825",
                                 partner_type="epci", website="https://www.agglo-gap.example")
    own = factories.Dataset(owner_org=org["id"], title="Pistes cyclables de l'agglomération")
    named = factories.Dataset(owner_org=org["id"], title="Comptages routiers", publisher_name="Département")
    try:
        check_partner_as_publisher(org, own, named, monkeypatch)
    finally:  # the module's other tests count the published datasets
        for dataset in (own, named):
            helpers.call_action("dataset_purge", id=dataset["id"])
        helpers.call_action("organization_purge", id=org["id"])


def check_partner_as_publisher(org, own, named, monkeypatch):
    asked = []
    get_action = tk.get_action

    def spy(name):
        asked.append(name)
        return get_action(name)
    monkeypatch.setattr(tk, "get_action", spy)
    dicts = [helpers.call_action("package_show", id=d["id"]) for d in (own, named)]
    texts = dcat_fragments.fragments(["euro_dcat_ap_3", "datasud"], dicts)
    assert "organization_show" not in asked
    monkeypatch.setattr(tk, "get_action", get_action)
    plain = Graph()
    for d in dicts:
        serializer = dcat_fragments.Serializer(profiles=["euro_dcat_ap_3", "datasud"])
        serializer.graph_from_dataset(d)  # ckanext-dcat's fallback (organization_show), then DataSud's
        plain += serializer.g
    kept = Graph()
    for text in texts:
        kept.parse(data=text, format="turtle")
    assert isomorphic(plain, kept)
    agent = URIRef(f"{tk.config['ckan.site_url']}/organization/{org['id']}")
    assert (URIRef(dcat_fragments.dataset_uri(own)), DCTERMS.publisher, agent) in kept
    assert (URIRef(dcat_fragments.dataset_uri(named)), DCTERMS.creator, agent) in kept
    assert (agent, DCTERMS.identifier, Literal("200067825")) in kept
    assert (agent, FOAF.name, Literal("Communauté d'agglomération Gap-Tallard-Durance")) in kept


def test_a_link_rdf_syntaxes_cannot_hold_does_not_break_the_catalogue(clean_module_db, monkeypatch):
    """A partner's link with a ``|`` or braces is a valid web address for DataSud (it is
    kept as given), but rdflib's Turtle serializer raised on it and the whole catalogue
    page failed: it is written percent-encoded, in the catalogue and the dataset's RDF."""
    org = factories.Organization(title="Syndicat mixte des eaux",
                                 website="https://www.syndicat.example/accueil|eau")
    link = "https://actes.syndicat.example/deliberation?id={2024-12}|signee"
    dataset = factories.Dataset(owner_org=org["id"], title="Captages d'eau potable",
                                resources=[{"url": link, "format": "PDF", "name": "Délibération",
                                            "resource_type": "document", "document_kind": "deliberation"}])
    try:
        encoded = URIRef("https://actes.syndicat.example/deliberation?id=%7B2024-12%7D%7Csignee")
        website = URIRef("https://www.syndicat.example/accueil%7Ceau")
        for fragments in (True, False):
            _, graph = catalogue(monkeypatch, fragments=fragments)
            assert encoded in set(graph.objects(None, FOAF.page))
            assert website in set(graph.objects(None, FOAF.homepage))
        app = helpers._get_test_app()
        for fmt, syntax in (("ttl", "turtle"), ("n3", "n3"), ("rdf", "xml"), ("jsonld", "json-ld")):
            response = app.get(f"/dataset/{dataset['name']}.{fmt}")
            assert response.status_code == 200, fmt
            assert encoded in set(Graph().parse(data=response.body, format=syntax).objects()), fmt
        assert helpers.call_action("package_show", id=dataset["id"])["resources"][0]["url"] == link
    finally:  # the module's other tests count the published datasets
        helpers.call_action("dataset_purge", id=dataset["id"])
        helpers.call_action("organization_purge", id=org["id"])


# --- Written faster, the same triples (5 December: quick timestamps, the fragment store,
# --- extents kept per process) ------------------------------------------------------------

MARSEILLE = '{"type":"Polygon","coordinates":[[[5.23,43.17],[5.53,43.17],[5.53,43.39],[5.23,43.39],[5.23,43.17]]]}'


def test_a_fragment_is_the_graph_ckanext_dcats_own_serializer_builds(clean_module_db):
    """Against ckanext-dcat's own serializer as it ships (dateutil for every date, rdflib's
    default store, nothing kept between datasets): the same graph, for datasets with
    timestamps, dates of every precision, checksums, sizes, an extent shared by two of
    them and one without any."""
    from ckanext.dcat.processors import RDFSerializer
    sysadmin = helpers.call_action("get_site_user")["name"]
    org = factories.Organization(title="Ville de Marseille")
    common = {"owner_org": org["id"], "notes": "Relevés publiés chaque mois.", "themes": ["environnement-climat"],
              "spatial_level": "commune", "spatial_code": "13055", "spatial_text": "Marseille",
              "temporal_start": "2021-01-01", "temporal_end": "2023-12-31"}
    resources = [
        {"url": "https://exemple.fr/releves.csv", "name": "Relevés", "format": "CSV", "mimetype": "text/csv",
         "size": 20480, "hash": "sha256:" + "ab" * 32, "last_modified": "2024-03-05T10:20:30.5"},
        {"url": "https://exemple.fr/releves.json", "name": "Relevés (JSON)", "format": "JSON",
         "hash": "sha1:0123456789abcdef0123456789abcdef01234567", "last_modified": "2024-02-29T23:59:59"},
    ]
    made = [
        factories.Dataset(title="Qualité de l'air, Marseille", spatial=MARSEILLE, resources=resources, **common),
        factories.Dataset(title="Bruit routier, Marseille", spatial=MARSEILLE, resources=resources[:1], **common),
        factories.Dataset(owner_org=org["id"], title="Délibérations", resources=[]),
    ]
    try:
        dicts = [helpers.call_action("package_show", {"user": sysadmin}, id=d["id"]) for d in made]
        dicts[0]["issued"], dicts[1]["issued"] = "2021", "2021-06"  # what a harvested record may hold
        texts = dcat_fragments.fragments(["euro_dcat_ap_3", "datasud"], dicts)
        for dataset_dict, text in zip(dicts, texts):
            stock = RDFSerializer(profiles=["euro_dcat_ap_3", "datasud"])
            stock.graph_from_dataset(dataset_dict)
            written = Graph().parse(data=text, format="turtle")
            assert len(written) > 20
            assert isomorphic(stock.g, written), dataset_dict["title"]
    finally:
        for dataset in made:
            helpers.call_action("dataset_purge", id=dataset["id"])
        helpers.call_action("organization_purge", id=org["id"])


@pytest.mark.parametrize("value", [
    "2024-03-05T10:20:30", "2024-03-05T10:20:30.5", "2024-03-05T10:20:30.123", "2024-03-05T10:20:30.123456",
    "2024-02-30T10:20:30", "2024-13-01T00:00:00", "2024-03-05T24:00:00", "2024-03-05T10:20",
    "2024-03-05T10:20:30Z", "2024-03-05T10:20:30+02:00", "2024-03-05", "2024-03", "2024",
    "05/03/2024", "le 5 mars 2024", " 2024-03-05T10:20:30", "",
])
def test_quick_timestamps_write_what_ckanext_dcat_writes(value):
    """Whatever the value (a CKAN timestamp, an impossible date, another format,
    nonsense), the triple written is the one ckanext-dcat's own method writes."""
    from ckanext.dcat.profiles import EuropeanDCATAP3Profile
    subject, predicate = URIRef("https://exemple.fr/jeu"), DCTERMS.modified
    stock, quick = Graph(), Graph()
    EuropeanDCATAP3Profile(stock)._add_date_triple(subject, predicate, value)
    dcat_fragments._with_quick_timestamps(EuropeanDCATAP3Profile)(quick)._add_date_triple(subject, predicate, value)
    assert set(quick) == set(stock)
