"""Names of harvested datasets (harvesting/names.py): the names ckanext-harvest gives,
found through migration 0009's index instead of reading the whole package table."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

import ckan.model as model
from ckanext.harvest.harvesters.base import HarvesterBase

from ckanext.datasud.harvesting import names
from tests import factories

pytestmark = pytest.mark.usefixtures("clean_db")


def stock_name(title, existing_name=None, append_type="number-sequence"):
    return HarvesterBase._gen_new_name(title, existing_name=existing_name, append_type=append_type)


def test_same_names_as_ckanext_harvest():
    org = factories.Organization()
    for name in ("qualite-de-lair", "qualite-de-lair1", "qualite-de-lair2", "arrets_de_bus",
                 "arretsxde-bus", "reseau-de-bus-2024", "reseau-de-bus"):
        factories.Dataset(name=name, owner_org=org["id"])
    cases = [
        ("Qualité de l'air", None),           # taken, and 1, 2: the next number
        ("Qualité de l'air", "qualite-de-lair1"),  # a dataset keeps its own numbered name
        ("Qualité de l'air", "qualite-de-lair"),   # or its own name
        ("Arrêts de bus", None),              # free (an underscore is a wildcard for both)
        ("arrets_de_bus", None),              # taken: arrets_de_bus1
        ("Réseau de bus 2024", None),
        ("Réseau   de -- bus", None),         # dashes collapsed
        ("Un titre nouveau", None),
        ("É" * 120, None),                    # cut to CKAN's maximum length
    ]
    for title, existing in cases:
        assert names.new_name(title, existing_name=existing) == stock_name(title, existing), (title, existing)
    assert names.new_name("Qualité de l'air") == "qualite-de-lair3"
    hexa = names.new_name("Qualité de l'air", append_type="random-hex")
    assert hexa.startswith("qualite-de-lair") and len(hexa) == len("qualite-de-lair") + 5


def test_datasud_harvesters_name_records_through_it():
    from ckanext.datasud.harvesting.ckan import DataSudCKANHarvester
    from ckanext.datasud.harvesting.csw import DataSudCSWHarvester
    from ckanext.datasud.harvesting.dcat import DataSudDCATHarvester
    for harvester in (DataSudDCATHarvester, DataSudCSWHarvester, DataSudCKANHarvester):
        assert harvester._gen_new_name("Un jeu de données") == "un-jeu-de-donnees"
        assert harvester._gen_new_name.__func__ is not HarvesterBase._gen_new_name.__func__


def test_names_taken_are_read_through_the_prefix_index_not_the_whole_table():
    model.Session.execute(sa.text("set local enable_seqscan = off"))
    query = model.Session.query(model.Package.name).filter(model.Package.name.like("qualite-de-l-a%"))
    plan = "\n".join(row[0] for row in model.Session.execute(
        sa.text("explain " + str(query.statement.compile(compile_kwargs={"literal_binds": True})))))
    model.Session.rollback()
    assert "idx_datasud_package_name_prefix" in plan


def test_records_of_one_gather_with_one_title_get_numbered_names():
    from ckan.tests import factories as ckan_factories
    from tests.harvesting import CatalogueServer, Page, allowed_hosts, create_source, run, source_datasets

    base = "https://data.partenaire-noms.example"
    records = "".join(f"""
<{base}/dataset/{i}> a dcat:Dataset ; dct:title "Comptages routiers" ; dct:identifier "comptage-{i}" ;
    dct:description "Comptages routiers du secteur {i}." ;
    dcat:theme <http://publications.europa.eu/resource/authority/data-theme/TRAN> .""" for i in range(1, 4))
    body = ("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n"
            f"<{base}/catalogue> a dcat:Catalog ; dcat:dataset "
            + ", ".join(f"<{base}/dataset/{i}>" for i in range(1, 4)) + " ." + records)
    org = factories.Organization()
    with CatalogueServer() as server, allowed_hosts(server.host):
        server.pages["/catalogue.ttl"] = Page(body)
        source = create_source(ckan_factories.Sysadmin(), org, server.url("/catalogue.ttl"),
                               publication_mode="reference", validation="convention")
        assert run(source)["job"]["stats"].get("added") == 3
    assert sorted(d["name"] for d in source_datasets(source)) == [
        "comptages-routiers", "comptages-routiers-1", "comptages-routiers-2"]
