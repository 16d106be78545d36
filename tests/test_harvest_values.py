"""Harvested values put in the schema's form (harvesting/values.py), and the record-level
rules built on them (harvesting/mapping.py): pure functions, no database."""
from __future__ import annotations

import pytest

from ckanext.datasud.harvesting import mapping, values
from ckanext.datasud.harvesting.settings import SourceSettings

SHA1 = "61324a2e9c04d1a00ac51af96a0e9dfd0980ea65"
SHA256 = "1e47adf8b17bce29fc3a4f51c630308606136164532bd3851c4642ec7e2880e1"
MD5 = "6fb084de69117928b6df4ed8727de51e"


# --- Media types and formats (item 1) ------------------------------------------------

@pytest.mark.parametrize("written,kept", [
    ("https://www.iana.org/assignments/media-types/text/csv", "text/csv"),
    ("http://www.iana.org/assignments/media-types/text/csv", "text/csv"),
    ("https://iana.org/assignments/media-types/application/json/", "application/json"),
    ("http://www.iana.org/assignments/media-types/application/vnd.ms-excel", "application/vnd.ms-excel"),
    ("text/csv", "text/csv"),
    ("TEXT/CSV", "text/csv"),
    ("text/csv; charset=utf-8", "text/csv"),
    (" application/geo+json ", "application/geo+json"),
])
def test_media_type_kept(written, kept):
    assert values.media_type(written) == (kept, None)


@pytest.mark.parametrize("written", [
    "CSV", "Shapefile ESRI", "http://publications.europa.eu/resource/authority/file-type/CSV",
    "https://www.iana.org/assignments/media-types/", "text /csv", "application/",
])
def test_unusable_media_type_dropped_with_a_note(written):
    kept, note = values.media_type(written)
    assert kept is None and "type de média illisible" in note


def test_no_media_type_no_note():
    assert values.media_type(None) == (None, None) and values.media_type("  ") == (None, None)


@pytest.mark.parametrize("written,label", [
    ("http://publications.europa.eu/resource/authority/file-type/CSV", "CSV"),
    ("https://publications.europa.eu/resource/authority/file-type/RDF_TURTLE", "RDF TURTLE"),
    ("https://www.iana.org/assignments/media-types/text/csv", "CSV"),
    ("http://www.iana.org/assignments/media-types/application/vnd.ms-excel", "XLS"),
    ("https://www.iana.org/assignments/media-types/application/vnd.openxmlformats-officedocument"
     ".spreadsheetml.sheet", "XLSX"),
    ("application/geo+json", "GeoJSON"),
    ("application/x-unheard-of", "X-UNHEARD-OF"),
    ("Shapefile", "Shapefile"),
    ("", ""),
    (None, ""),
])
def test_format_label(written, label):
    assert values.format_label(written) == label
    assert mapping.format_label(written) == label


# --- Checksums (item 2) ----------------------------------------------------------------

@pytest.mark.parametrize("value,algorithm,kept", [
    (SHA1, "http://spdx.org/rdf/terms#checksumAlgorithm_sha1", "sha1:" + SHA1),
    (SHA1.upper(), "spdx:checksumAlgorithm_sha1", "sha1:" + SHA1),
    (SHA256, "http://spdx.org/rdf/terms#checksumAlgorithm_sha256", "sha256:" + SHA256),
    (SHA256, "SHA-256", "sha256:" + SHA256),
    ("sha256:" + SHA256, None, "sha256:" + SHA256),
    ("SHA256:" + SHA256.upper(), "sha1", "sha256:" + SHA256),  # the value's own prefix wins
    (MD5, "MD5", "md5:" + MD5),
    ("a" * 128, "checksumAlgorithm_sha512", "sha512:" + "a" * 128),
    (f" {SHA1[:20]} {SHA1[20:]} ", "sha1", "sha1:" + SHA1),
])
def test_checksum_kept_with_its_algorithm(value, algorithm, kept):
    assert values.checksum(value, algorithm) == (kept, None)


@pytest.mark.parametrize("value,expected", [(SHA1, "sha1"), (SHA256, "sha256"), (MD5, "md5")])
def test_checksum_without_algorithm_guessed_from_its_length(value, expected):
    kept, note = values.checksum(value)
    assert kept == f"{expected}:{value}" and expected in note and "déduit" in note


@pytest.mark.parametrize("value,algorithm,words", [
    (SHA1[:-1], "sha1", "compte 40"),
    (SHA256, "sha1", "compte 40"),
    ("not-hex-at-all", "sha256", "illisible"),
    ("a" * 56, "SHA-224", "non pris en charge"),
    ("a" * 64, "http://spdx.org/rdf/terms#checksumAlgorithm_blake2b256", "non pris en charge"),
    ("abc123", None, "longueur inconnue"),
    ("LnK2mvwjMPvYQzX6SRXK6A==", "md5", "illisible"),  # base64, not hexadecimal
])
def test_unreadable_checksum_dropped_with_a_note(value, algorithm, words):
    kept, note = values.checksum(value, algorithm)
    assert kept is None and words in note


def test_checksum_algorithm_names():
    assert values.checksum_algorithm("http://spdx.org/rdf/terms#checksumAlgorithm_sha256") == "sha256"
    assert values.checksum_algorithm("SHA-512") == "sha512"
    assert values.checksum_algorithm("") is None


# --- Web addresses and landing pages (item 4) ----------------------------------------

@pytest.mark.parametrize("written,words", [
    ("_:dataset-1", "nœud anonyme"),
    ("N3f0c8a4b0a5e4f7b9c2d1e0f3a4b5c6d", "nœud anonyme"),
    ("n9eb0c79a191440b585f6715dd44145f6b2", "nœud anonyme"),
    ("https://www.exemple.fr/mon jeu", "espaces"),
    ("https://www.exemple.fr/a\tb", "espaces"),
    ("ftp://ftp.exemple.fr/jeu.zip", "http:// ou https://"),
    ("urn:uuid:8f1c2b9e", "http:// ou https://"),
    ("www.exemple.fr/jeu", "http:// ou https://"),
    ("javascript:alert(1)", "http:// ou https://"),
])
def test_unusable_web_address_dropped_with_a_note(written, words):
    kept, note = values.web_url(written)
    assert kept is None and words in note


def test_web_address_kept():
    assert values.web_url(" https://www.exemple.fr/jeu?x=1#a ") == ("https://www.exemple.fr/jeu?x=1#a", None)
    assert values.web_url(None) == (None, None)


@pytest.mark.parametrize("url,service", [
    ("https://geo.exemple.fr/geoserver/wms?service=WMS&request=GetCapabilities", True),
    ("https://geo.exemple.fr/geoserver/ows?SERVICE=WFS", True),
    ("https://geo.exemple.fr/wfs", True),
    ("https://geo.exemple.fr/geoserver/hydro/wms", True),
    ("https://geo.exemple.fr/csw?request=GetCapabilities", True),
    ("https://geo.exemple.fr/geonetwork/srv/fre/catalog.search#/metadata/1", False),
    ("https://www.exemple.fr/wmsinfo/page.html", False),
])
def test_service_endpoints(url, service):
    assert values.is_service_endpoint(url) is service


def test_landing_page_prefers_a_page_to_a_service_and_drops_unusable_ones():
    page, notes = values.landing_page([
        "_:dataset-1", "https://geo.exemple.fr/wms?service=WMS&request=GetCapabilities",
        "https://www.exemple.fr/donnees/jeu", "https://www.exemple.fr/autre"])
    assert page == "https://www.exemple.fr/donnees/jeu"
    assert [value for value, _ in notes] == ["_:dataset-1"]


def test_landing_page_a_service_when_nothing_else():
    page, notes = values.landing_page(["https://geo.exemple.fr/wfs?service=WFS", None, ""])
    assert (page, notes) == ("https://geo.exemple.fr/wfs?service=WFS", [])
    assert values.landing_page(["_:b0"])[0] is None


# --- Keywords (item 5) ---------------------------------------------------------------

@pytest.mark.parametrize("written,kept", [
    ("Culture, Société, Service", "Culture, Société, Service"),
    ("document d'urbanisme / PLU", "document d'urbanisme / PLU"),
    ("l’écho : (revue) & n°2", "l’écho : (revue) & n°2"),
    ("  eau   /\thydrographie \n", "eau / hydrographie"),
    ("<b>gras</b>", "b gras /b"),
    ('dit "oui"', "dit oui"),
    ("a\\b", "a b"),
    ("x", "x"),
    ("", None),
    ("  \t ", None),
    ("<>", None),
    (None, None),
])
def test_tag(written, kept):
    assert values.tag(written) == kept


def test_long_tag_cut_at_a_word_boundary():
    written = "Données budgétaires " * 8
    kept = values.tag(written)
    assert len(kept) <= values.TAG_MAX_LENGTH
    assert written.startswith(kept) and kept.endswith("budgétaires")
    unbroken = "x" * 150
    assert values.tag(unbroken) == "x" * 100


@pytest.mark.parametrize("written", [
    "Culture, Société, Service", "document d'urbanisme / PLU", "a", "x" * 100, "l’écho", "<b>", "x" * 101,
    'dit "oui"', " espace", "deux  espaces",
])
def test_schema_accepts_exactly_what_tag_keeps(written):
    accepted = values.tag_problem(" ".join(written.split())) is None and written == " ".join(written.split())
    assert accepted == (values.tag(written) == written)


def test_tags_without_duplicates_with_notes():
    kept, notes = values.tags(["Culture, Société, Service", "culture, société, SERVICE", "PLU", " plu ",
                               "", None, "<>", "x" * 120, "il dit \"oui\""])
    assert kept == ["Culture, Société, Service", "PLU", "x" * 100, "il dit oui"]
    assert [value for value, _ in notes] == ["<>", "x" * 120, 'il dit "oui"']
    assert "raccourci" in notes[1][1] and "remplacés" in notes[2][1]


# --- Dates (item 6) ------------------------------------------------------------------

@pytest.mark.parametrize("written,kept", [
    ("2009-05-06", "2009-05-06"),
    ("2009-05-06T00:00:00+02:00", "2009-05-06"),
    ("2009-05-06T00:00:00Z", "2009-05-06"),
    ("2009-05-06T10:30:00Z", "2009-05-06T10:30:00+00:00"),
    ("2009-05-06 10:30:00", "2009-05-06T10:30:00"),
    ("2009-05-06Z", "2009-05-06"),
    ("2009-05-06+02:00", "2009-05-06"),
])
def test_iso_dates_kept_without_note(written, kept):
    assert values.date(written) == (kept, None)


@pytest.mark.parametrize("written,kept,words", [
    ("06/05/2009", "2009-05-06", "format français"),
    ("6/5/2009", "2009-05-06", "format français"),
    ("06.05.2009", "2009-05-06", "format français"),
    ("06-05-2009", "2009-05-06", "format français"),
    ("06/05/09", "2009-05-06", "format français"),
    ("23/05/2009", "2009-05-23", "lue comme le 2009-05-23"),
    ("05/05/2009", "2009-05-05", "lue comme le 2009-05-05"),
    ("05/23/2009", "2009-05-23", "format américain"),
    ("20090506", "2009-05-06", "lue comme le 2009-05-06"),
    ("2009/05/06", "2009-05-06", "lue comme le 2009-05-06"),
    ("2009-5-6", "2009-05-06", "lue comme le 2009-05-06"),
    ("6 mai 2009", "2009-05-06", "lue comme le 2009-05-06"),
    ("1er août 2009", "2009-08-01", "lue comme le 2009-08-01"),
    ("May 6, 2009", "2009-05-06", "lue comme le 2009-05-06"),
    ("mai 2009", "2009-05-01", "incomplète"),
    ("Décembre 2009", "2009-12-01", "incomplète"),
    ("2009-05", "2009-05-01", "incomplète"),
    ("05/2009", "2009-05-01", "incomplète"),
    ("2009", "2009-01-01", "incomplète"),
])
def test_other_dates_read_with_a_note(written, kept, words):
    value, note = values.date(written)
    assert value == kept and words in note


@pytest.mark.parametrize("written,kept", [
    ("2009", "2009-12-31"), ("2009-02", "2009-02-28"), ("février 2008", "2008-02-29"),
    ("06/05/2009", "2009-05-06"),
])
def test_end_of_a_period(written, kept):
    assert values.date(written, end=True)[0] == kept


@pytest.mark.parametrize("written", ["hier", "31/02/2009", "13/13/2009", "2009-13-01", "05/23/20091",
                                     "mai", "brumaire an VIII", "2009-02-30T00:00:00"])
def test_unreadable_dates_dropped_with_a_note(written):
    kept, note = values.date(written)
    assert kept is None and "ignorée" in note


# --- In a record (mapping.to_datasud) ------------------------------------------------

SETTINGS = SourceSettings(source_id="source", source_type="datasud_dcat", title="Catalogue du partenaire",
                          url="https://data.partenaire.example/catalog", owner_org="partenaire",
                          publication_mode="reference", validation="convention",
                          default_themes=("environnement-climat",))


def _record(**fields):
    record = {"title": "Jeu d'essai", "notes": "Description.", "uri": "https://data.partenaire.example/jeu/1",
              "extras": [{"key": "uri", "value": "https://data.partenaire.example/jeu/1"}]}
    record.update(fields)
    return record


def test_record_values_normalised_with_warnings_naming_record_field_and_value():
    dataset = mapping.to_datasud(_record(
        tags=[{"name": "Culture"}, {"name": "Société"}],
        keywords_as_written=["Culture, Société", "document d'urbanisme / PLU"],
        landing_pages=["_:dataset-1", "https://geo.exemple.fr/wms?service=WMS", "https://www.exemple.fr/jeu"],
        url="_:dataset-1",
        extras=[{"key": "uri", "value": "https://data.partenaire.example/jeu/1"},
                {"key": "issued", "value": "06/05/2009"}, {"key": "modified", "value": "bientôt"}],
        temporal_coverage=[{"start": "2012-01-01", "end": "2009-12-31"}],
        resources=[
            {"name": "CSV", "url": "https://www.exemple.fr/jeu.csv",
             "mimetype": "https://www.iana.org/assignments/media-types/text/csv",
             "format": "http://publications.europa.eu/resource/authority/file-type/CSV",
             "hash": SHA1.upper(), "hash_algorithm": "http://spdx.org/rdf/terms#checksumAlgorithm_sha1"},
            {"name": "Archive", "access_url": "ftp://ftp.exemple.fr/jeu.zip"},
        ]), SETTINGS)
    warnings = dataset.pop(mapping.WARNINGS)
    assert [t["name"] for t in dataset["tags"]] == ["Culture, Société", "document d'urbanisme / PLU"]
    assert dataset["url"] == "https://www.exemple.fr/jeu"
    assert dataset["issued"] == "2009-05-06" and "modified" not in dataset
    assert dataset["temporal_start"] == "2012-01-01" and "temporal_end" not in dataset  # end before start
    [csv] = dataset["resources"]
    assert (csv["mimetype"], csv["format"], csv["hash"]) == ("text/csv", "CSV", "sha1:" + SHA1)
    label = "« Jeu d'essai » (https://data.partenaire.example/jeu/1)"
    assert all(w.startswith(mapping.WARNING_PREFIX + f"fiche {label}, champ ") for w in warnings)
    expected = [("page de la donnée = « _:dataset-1 »", "nœud anonyme"),
                ("date de publication = « 06/05/2009 »", "format français"),
                ("date de modification = « bientôt »", "illisible"),
                ("fin de la couverture temporelle = « 2009-12-31 »", "antérieure au début"),
                ("ressource « Archive » = « ftp://ftp.exemple.fr/jeu.zip »", "n'est pas importée")]
    for field, words in expected:
        assert any(field in w and words in w for w in warnings), (field, warnings)
    assert len(warnings) == len(expected), warnings


def test_tags_of_other_harvesters_and_the_record_uri_as_page():
    dataset = mapping.to_datasud(_record(tags=[{"name": "document d'urbanisme"}, {"name": "Document D'urbanisme"},
                                               {"name": "  "}]), SETTINGS)
    assert dataset["tags"] == [{"name": "document d'urbanisme"}]
    assert dataset["url"] == "https://data.partenaire.example/jeu/1"
    assert dataset[mapping.WARNINGS] == []


def test_resource_without_parent_still_maps():
    res = mapping.resource({"url": "https://www.exemple.fr/a.csv", "mimetype": "CSV"}, "etalab-2.0")
    assert res["url"] == "https://www.exemple.fr/a.csv" and "mimetype" not in res
    assert mapping.resource({"url": "_:b1"}, "etalab-2.0") is None


@pytest.mark.parametrize("written,kept", [
    ("<b>Arrêts</b> (GeoJSON)", "Arrêts (GeoJSON)"),
    ("Ligne 1<br/>Ligne 2", "Ligne 1 Ligne 2"),
    ("<p>Budget&nbsp;2023</p>", "Budget 2023"),  # spaces collapsed, no-break ones too
    ("<b>&lt;script&gt;</b>Titre", "Titre"),  # entities read once tags are removed, then removed too
    ("<span></span>", None),
])
def test_html_tags_removed_from_titles_and_names(written, kept):
    value, note = values.plain_text(written)
    assert value == kept and "balises HTML retirées" in note


@pytest.mark.parametrize("written", ["Arrêts < 500 m", "Plan 1:25 000 > 2010", "R&D", None,
                                     "&lt;b&gt; écrit en texte"])  # no tag: the page escapes it
def test_plain_text_kept_as_written(written):
    assert values.plain_text(written) == (written, None)


@pytest.mark.parametrize("written,kept", [
    # ArcGIS Hub's descriptions: nested divs and spans with styles, entities
    ("<div style='text-align:Left;'><div><div><p><span>Réseau routier&nbsp;: tronçons.</span></p></div></div></div>",
     "Réseau routier : tronçons."),
    ("<p>Premier paragraphe.</p><p>Second,<br />sur deux lignes.</p>",
     "Premier paragraphe.\n\nSecond,\nsur deux lignes."),
    ("<ul><li>routes</li><li>ponts</li></ul>", "- routes\n- ponts"),
    ('Voir <a href="https://www.cd04.example/sig">le site du SIG</a>.',
     "Voir [le site du SIG](https://www.cd04.example/sig)."),
    ('<a href="https://x.example/a">https://x.example/a</a>', "https://x.example/a"),
    ('<a href="javascript:alert(1)">cliquer</a> ici', "cliquer ici"),  # only web and mailto links
    ("<p>Texte</p><script>alert('x')</script><style>p {color: red}</style>", "Texte"),
    ("<p>   </p>", None),
    ("<p>Source : <https://www.atmosud.example/></p>", "Source : https://www.atmosud.example/"),
])
def test_html_descriptions_written_out_as_markdown_text(written, kept):
    value, note = values.description(written)
    assert value == kept and "description en HTML réécrite en texte" in note


@pytest.mark.parametrize("written", ["Débit < 5 m3/s et > 1 m3/s", "**Markdown** de udata\n\n- un", "", None,
                                     "Voir <https://www.data.gouv.fr/fr/datasets/x/> ou <contact@ville.example>."])
def test_descriptions_without_html_kept_as_written(written):
    assert values.description(written) == (written, None)


def test_a_title_of_html_tags_only_is_no_title():
    settings = SourceSettings(source_id="s", source_type="datasud_dcat", title="Source", url="https://x.example/",
                              owner_org="org", default_themes=("economie",))
    with pytest.raises(ValueError, match="sans titre"):
        mapping.to_datasud({"title": "<p> </p>"}, settings)
    dataset = mapping.to_datasud({"title": "<h1>Budget</h1>", "publisher_name": "<i>Ville</i>"}, settings)
    assert (dataset["title"], dataset["publisher_name"]) == ("Budget", "Ville")
    assert [w for w in dataset[mapping.WARNINGS] if "champ titre = « <h1>Budget</h1> »" in w]
    assert [w for w in dataset[mapping.WARNINGS] if "champ publisher_name = « <i>Ville</i> »" in w]
