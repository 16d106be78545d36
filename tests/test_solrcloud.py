"""Scale-out (issue 14, item 4): the portal on SolrCloud.

Solr's own MiniSolrCloudCluster (solr/src/.../DataSudSolrCloud.java, from the same Maven
test framework as the single node) starts 4 nodes with an embedded ZooKeeper and a
collection ``ckan`` of 2 shards x 2 replicas with DataSud's config set; CKAN is pointed at
the collection through one node, as through a load balancer. Datasets are created by
the portal's own actions (published through the workflow) and found by
``package_search``; the documents are spread over both shards; with a node of each shard
stopped the search still answers the same, and a new dataset is still indexed.
"""
from __future__ import annotations

import time

import pytest
import requests

from ckan.lib.search.common import SolrSettings
from ckan.tests import helpers

from tests import factories
from tests.solrcloud import LAUNCHER_CLASS, Cluster

pytestmark = pytest.mark.solrcloud


@pytest.fixture(scope="module")
def cloud(clean_module_db, tmp_path_factory):
    """The cluster, and CKAN pointed at its collection through the first node."""
    assert LAUNCHER_CLASS.is_file(), \
        "the SolrCloud launcher is compiled by bin/datasud (install_solr)"
    started = time.monotonic()
    cluster = Cluster(tmp_path_factory.mktemp("solrcloud"))
    cluster.started_in = time.monotonic() - started
    before = SolrSettings.get()
    SolrSettings.init(f"{cluster.nodes[0]}/ckan")
    try:
        yield cluster
    finally:
        SolrSettings.init(*before)
        cluster.close()


@pytest.fixture(scope="module")
def catalogue(cloud):
    """Eight datasets of two partners, created and published by the portal's actions."""
    atmo = factories.Organization(name="atmosud-cloud", title="AtmoSud (SolrCloud)")
    ville = factories.Organization(name="ville-cloud", title="Ville de Nice (SolrCloud)")
    made = []
    for i in range(4):
        made.append(factories.Dataset(owner_org=atmo["id"], name=f"air-{i}", title=f"Qualité de l'air {i}",
                                      themes=["environnement-climat"], notes="Mesures horaires des polluants."))
        made.append(factories.Dataset(owner_org=ville["id"], name=f"electricite-{i}",
                                      title=f"Consommation d'électricité des écoles {i}",
                                      themes=["energies-reseaux"], notes="Relevés des compteurs Linky."))
    return {"datasets": made, "organizations": (atmo, ville)}


def search(**params) -> dict:
    return helpers.call_action("package_search", **params)


def names(result: dict) -> list[str]:
    return sorted(d["name"] for d in result["results"])


def test_the_portal_searches_the_collection(cloud, catalogue):
    everything = search(q="*:*", rows=50)
    assert everything["count"] == 8
    # French analysis of DataSud's schema, accents folded, on the distributed index
    assert names(search(q="electricite", rows=50)) == [f"electricite-{i}" for i in range(4)]
    assert search(q="qualite air", rows=50)["count"] == 4
    facets = search(q="*:*", rows=0, **{"facet.field": '["organization"]'})["facets"]["organization"]
    assert facets == {"atmosud-cloud": 4, "ville-cloud": 4}
    assert names(search(fq="organization:ville-cloud", q="écoles", rows=50)) == [f"electricite-{i}" for i in range(4)]


def test_documents_are_spread_over_both_shards(cloud, catalogue):
    """The collection routes each document by a hash of its id (CKAN's: a digest of the
    site id and the dataset's random id): with the catalogue's 8 documents alone, all of
    them would land on one shard once in 128 runs. 24 more drafts (indexed as private)
    make that once in two thousand million; they are deleted at the end."""
    placement = cloud.placement()
    assert len(placement) == 2 and all(len(replicas) == 2 for replicas in placement.values())
    drafts = [factories.Dataset(owner_org=catalogue["organizations"][1]["id"], name=f"repartition-{i}",
                                title=f"Répartition {i}", private=True) for i in range(24)]
    try:
        per_shard = {}
        for shard, replicas in placement.items():
            counts = {requests.get(f"{r['base_url']}/{r['core']}/select", timeout=30, params={
                "q": "*:*", "rows": 0, "distrib": "false", "wt": "json"}).json()["response"]["numFound"]
                for r in replicas}
            assert len(counts) == 1, f"the replicas of {shard} differ: {counts}"  # replicas hold the same documents
            per_shard[shard] = counts.pop()
        assert sum(per_shard.values()) == 32 and all(n > 0 for n in per_shard.values()), per_shard
    finally:
        site_user = helpers.call_action("get_site_user", {"ignore_auth": True})["name"]
        for draft in drafts:
            helpers.call_action("package_delete", {"ignore_auth": True, "user": site_user}, id=draft["id"])
    assert search(q="*:*", rows=0, include_private=True)["count"] == 8


def test_search_answers_with_a_node_of_each_shard_stopped(cloud, catalogue):
    before = names(search(q="*:*", rows=50))
    entry = cloud.nodes[0]
    placement = cloud.placement()
    entry_shard = next(s for s, replicas in placement.items() if any(r["base_url"] == entry for r in replicas))
    other_shard = next(s for s in placement if s != entry_shard)
    stops = [next(r["base_url"] for r in placement[other_shard]),  # a node of the other shard
             next(r["base_url"] for r in placement[entry_shard] if r["base_url"] != entry)]  # the entry's twin
    for url in stops:
        cloud.command(f"stop {cloud.nodes.index(url)}")
        cloud.wait_until_every_shard_has_a_live_leader()
        assert names(search(q="*:*", rows=50)) == before
        assert search(q="electricite", rows=50)["count"] == 4
    assert len([node for node in cloud.nodes if node.startswith("stopped")]) == 2
    # still indexing, with half the nodes down
    late = factories.Dataset(owner_org=catalogue["organizations"][0]["id"], name="ozone-pendant-la-panne",
                             title="Ozone pendant la panne", themes=["environnement-climat"])
    assert late["name"] in names(search(q="ozone panne", rows=50))
    assert search(q="*:*", rows=0)["count"] == 9
