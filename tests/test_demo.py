"""Demo data: the Région Sud, partners and the datasets of the programme's documents."""
from __future__ import annotations

import pytest

import ckan.model as model
from ckan.tests import helpers

from ckanext.datasud import demo


@pytest.fixture
def loaded(clean_db, clean_index):
    demo.ensure_sysadmin("admin", "un mot de passe de test", "admin@example.org")
    return demo.load("admin")


def test_demo_loads_organisations_and_datasets(loaded):
    content = demo.demo_content()
    assert loaded["organizations"] == len(content["organizations"])
    assert loaded["datasets"] == len(content["datasets"])
    titles = {d["title"] for d in helpers.call_action("package_search", rows=100)["results"]}
    for expected in ("Localisation des lycées publics ouverts",
                     "Cales de mise à l'eau de la région Provence-Alpes-Côte d'Azur",
                     "Production et consommation d'énergie",
                     "Cinémas en région Provence-Alpes-Côte d'Azur"):
        assert expected in titles
    region = helpers.call_action("organization_show", id="region-sud")
    assert region["title"] == "Région Sud Provence-Alpes-Côte d'Azur"
    assert region["package_count"] == 4


def test_demo_is_idempotent(loaded):
    before = model.Session.query(model.Package).count()
    again = demo.load("admin")
    assert again == {"organizations": 0, "conventions": 0, "datasets": 0, "resources": 0}
    assert model.Session.query(model.Package).count() == before


def test_demo_sysadmin_is_created_once(loaded):
    user = model.User.get("admin")
    assert user.sysadmin
    _, created = demo.ensure_sysadmin("admin", None, "admin@example.org")
    assert created is False


def test_demo_files_are_uploaded_and_downloadable(loaded, app):
    dataset = helpers.call_action("package_show", id="lycees-publics")
    resource = dataset["resources"][0]
    assert resource["url_type"] == "upload"
    response = app.get(resource["url"].replace("http://127.0.0.1:5000", ""))
    assert response.status_code == 200
    assert "Lycée Thiers" in response.get_data(as_text=True)


def test_sysadmin_needs_a_password_when_missing(clean_db):
    import ckan.plugins.toolkit as tk
    with pytest.raises(tk.ValidationError):
        demo.ensure_sysadmin("admin", None, "admin@example.org")
    assert model.User.get("admin") is None
