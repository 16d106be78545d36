"""Reuses (« réutilisations »): declaration by any logged-in user, moderation by the
programme team, who sees what, odd inputs (what a sloppy client or an attacker sends),
images, the pages and their forms, the key figure and the moderation e-mail.

One clean database for the module (the tests create what they use under their own names).
"""
from __future__ import annotations

import io
import os

import pytest
from bs4 import BeautifulSoup

import ckan.model as model
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud.model import Reuse
from tests import factories

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2b3a7e90000000049454e44ae426082")
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
PASSWORD = "Mot-de-passe-des-reutilisations-2026"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture(scope="module")
def world(clean_module_db):
    """A partner with two published datasets and a private (unvalidated) one; a sysadmin
    (programme team), a declarant and another user, each with an API token."""
    org = factories.Organization(name="ville-reutilisee", title="Ville réutilisée")
    lycees = factories.Dataset(owner_org=org["id"], name="lycees-reutilises", title="Lycées réutilisés")
    cales = factories.Dataset(owner_org=org["id"], name="cales-reutilisees", title="Cales réutilisées")
    draft = factories.Dataset(owner_org=org["id"], name="brouillon-prive", title="Brouillon privé", private=True)
    people = {}
    for name, sysadmin in (("equipe", True), ("declarante", False), ("autre", False)):
        user = (ckan_factories.Sysadmin if sysadmin else ckan_factories.User)(
            name=f"reuse-{name}", email=f"{name}@reuses.test", password=PASSWORD)
        user["headers"] = {"Authorization": ckan_factories.APIToken(user=user["name"])["token"]}
        people[name] = user
    return {"org": org, "lycees": lycees, "cales": cales, "draft": draft, **people}


def api(app, action, user=None, status=None, **data):
    response = app.post(f"/api/3/action/{action}", json=data, headers=(user or {}).get("headers", {}), status=None)
    if status is not None:
        assert response.status_code == status, response.get_data(as_text=True)
    return response.json


def get(app, action, user=None, **params):
    return app.get(f"/api/3/action/{action}", query_string=params,
                   headers=(user or {}).get("headers", {}), status=None)


def declare(app, world, user=None, **overrides):
    data = {"title": "Carte des lycées", "description": "Une carte interactive des lycées de la région.",
            "url": "https://exemple.fr/carte", "type": "visualization", "datasets": [world["lycees"]["name"]]}
    data.update(overrides)
    return api(app, "datasud_reuse_create", user or world["declarante"], status=200, **data)["result"]


def errors_of(response_json) -> dict:
    assert response_json["success"] is False, response_json
    return response_json["error"]


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


# --- Declaring, moderating, who sees what ----------------------------------------------------

def test_declared_reuse_waits_then_is_published(app, world):
    from ckanext.datasud.reuses import datasud_dataset_reuses, published_count

    before = published_count()
    reuse = declare(app, world, title="Appli des lycées", type="application",
                    datasets=f"{world['lycees']['name']}\nhttp://127.0.0.1:5000/fr/dataset/{world['cales']['name']}")
    assert reuse["state"] == "pending" and reuse["type_label"] == "Application"
    assert reuse["declared_by"] == "reuse-declarante" and reuse["published"] is None
    assert [d["name"] for d in reuse["datasets"]] == ["cales-reutilisees", "lycees-reutilises"]

    # pending: the declarant and the programme team only
    assert get(app, "datasud_reuse_show", id=reuse["id"]).status_code == 403
    assert get(app, "datasud_reuse_show", world["autre"], id=reuse["id"]).status_code == 403
    assert get(app, "datasud_reuse_show", world["declarante"], id=reuse["id"]).json["result"]["state"] == "pending"
    assert get(app, "datasud_reuse_show", world["equipe"], id=reuse["id"]).status_code == 200
    assert reuse["id"] not in [r["id"] for r in get(app, "datasud_reuse_list").json["result"]["results"]]
    pending = get(app, "datasud_reuse_list", world["equipe"], state="pending").json["result"]["results"]
    assert reuse["id"] in [r["id"] for r in pending]
    own = get(app, "datasud_reuse_list", world["declarante"], state="pending").json["result"]["results"]
    assert reuse["id"] in [r["id"] for r in own]
    assert get(app, "datasud_reuse_list", world["autre"], state="pending").json["result"]["count"] == 0
    refused = get(app, "datasud_reuse_list", state="pending")
    assert refused.status_code == 403
    assert "Connectez-vous" in refused.json["error"]["message"]
    assert app.get(f"/reutilisations/{reuse['id']}", status=None).status_code == 404
    assert reuse["id"] not in [r["id"] for r in datasud_dataset_reuses(world["lycees"]["id"])]

    published = api(app, "datasud_reuse_moderate", world["equipe"], status=200,
                    id=reuse["id"], decision="publish")["result"]
    assert published["state"] == "published" and published["moderated_by"] == "reuse-equipe"
    assert published["published"]
    shown = get(app, "datasud_reuse_show", id=reuse["id"]).json["result"]
    assert shown["state"] == "published"
    assert "declared_by" not in shown and "rejection_reason" not in shown  # internal fields
    assert reuse["id"] in [r["id"] for r in get(app, "datasud_reuse_list").json["result"]["results"]]
    by_dataset = get(app, "datasud_reuse_list", dataset=world["cales"]["name"]).json["result"]
    assert [r["id"] for r in by_dataset["results"]] == [reuse["id"]]
    assert [r["id"] for r in datasud_dataset_reuses(world["lycees"]["id"])][:1] == [reuse["id"]]
    assert published_count() == before + 1
    assert get(app, "datasud_key_figures").json["result"]["reuses"] == before + 1

    again = api(app, "datasud_reuse_moderate", world["equipe"], status=409, id=reuse["id"], decision="publish")
    assert errors_of(again)["decision"] == ["Cette réutilisation est déjà publiée."]


def test_only_the_programme_team_moderates(app, world, ckan_config, monkeypatch):
    reuse = declare(app, world, title="Article sur les cales")
    for user in (None, world["autre"], world["declarante"]):
        refused = api(app, "datasud_reuse_moderate", user, status=403, id=reuse["id"], decision="publish")
        assert refused["error"]["message"].endswith("Seule l'équipe du programme DataSud modère les réutilisations.")
    assert model.Session.get(Reuse, reuse["id"]).state == "pending"
    # a member of the programme team who is not a sysadmin
    monkeypatch.setitem(ckan_config, "ckanext.datasud.programme_team", ["reuse-autre"])
    api(app, "datasud_reuse_moderate", world["autre"], status=200, id=reuse["id"], decision="publish")
    unknown = api(app, "datasud_reuse_moderate", world["equipe"], status=409, id=reuse["id"], decision="supprimer")
    assert "decision" in errors_of(unknown)
    missing = api(app, "datasud_reuse_moderate", world["equipe"], status=404, id="pas-une-reutilisation",
                  decision="publish")
    assert missing["error"]["message"].endswith("Réutilisation introuvable")


def test_rejection_needs_a_reason_and_the_declarant_is_told(app, world, ckan_config, monkeypatch, worker_mailbox):
    reuse = declare(app, world, title="Une API des cales", type="api")
    no_reason = api(app, "datasud_reuse_moderate", world["equipe"], status=409, id=reuse["id"], decision="reject")
    assert errors_of(no_reason)["reason"] == [
        "Indiquez la raison du refus : elle est envoyée à la personne qui a déclaré la réutilisation."]
    rejected = api(app, "datasud_reuse_moderate", world["equipe"], status=200, id=reuse["id"], decision="reject",
                   reason="Le lien ne fonctionne pas.")["result"]
    assert rejected["state"] == "rejected" and rejected["rejection_reason"] == "Le lien ne fonctionne pas."
    assert get(app, "datasud_reuse_show", id=reuse["id"]).status_code == 403
    seen = get(app, "datasud_reuse_show", world["declarante"], id=reuse["id"]).json["result"]
    assert seen["rejection_reason"] == "Le lien ne fonctionne pas."
    declarant_page = page(app.get(f"/reutilisations/{reuse['id']}", headers=world["declarante"]["headers"]))
    assert "Le lien ne fonctionne pas." in declarant_page.select_one(".datasud-reuse-reason").get_text()

    # the e-mail the Celery task sends (run here, against a real SMTP server)
    from ckanext.datasud import reuses
    monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{worker_mailbox.port}")
    with app.flask_app.test_request_context():
        assert reuses.notify_moderation(reuse["id"]) == 1
    import email.header
    mail = [m for m in worker_mailbox.messages if "declarante@reuses.test" in m["To"]][-1]
    subject = str(email.header.make_header(email.header.decode_header(mail["Subject"])))
    assert subject == "[DataSud] Votre réutilisation « Une API des cales » n'a pas été publiée"
    body = mail.get_payload(decode=True).decode()
    assert "Raison : Le lien ne fonctionne pas." in body and f"/reutilisations/{reuse['id']}" in body


def test_delete_rules(app, world):
    pending = declare(app, world, title="À supprimer par sa déclarante")
    assert api(app, "datasud_reuse_delete", world["autre"], status=403, id=pending["id"])["success"] is False
    api(app, "datasud_reuse_delete", world["declarante"], status=200, id=pending["id"])
    assert model.Session.get(Reuse, pending["id"]) is None

    published = declare(app, world, title="Publiée, donc plus supprimable par sa déclarante")
    api(app, "datasud_reuse_moderate", world["equipe"], status=200, id=published["id"], decision="publish")
    assert api(app, "datasud_reuse_delete", world["declarante"], status=403, id=published["id"])["success"] is False
    api(app, "datasud_reuse_delete", world["equipe"], status=200, id=published["id"])
    assert get(app, "datasud_reuse_show", id=published["id"]).status_code == 404


def test_anonymous_cannot_declare(app, world):
    refused = api(app, "datasud_reuse_create", None, status=403, title="Anonyme", description="Sans compte aucun.",
                  url="https://exemple.fr", type="article", datasets=[world["lycees"]["name"]])
    assert refused["error"]["message"].endswith("Connectez-vous pour déclarer une réutilisation.")


# --- Odd inputs --------------------------------------------------------------------------------

ODD_INPUTS = [
    ("url", "javascript:alert(document.cookie)", "L'adresse de la réutilisation doit commencer par http:// ou https://."),
    ("url", " JavaScript:alert(1)", "L'adresse de la réutilisation doit commencer par http:// ou https://."),
    ("url", "data:text/html,<script>alert(1)</script>",
     "L'adresse de la réutilisation doit commencer par http:// ou https://."),
    ("url", "https://exemple.fr/\x00", "L'adresse de la réutilisation doit commencer par http:// ou https://."),
    ("url", "", "Veuillez remplir ce champ."),
    ("title", "T" * 10_000, "200 caractères au plus."),
    ("title", "ab", "3 caractères au moins."),
    ("title", ["une", "liste"], "Veuillez remplir ce champ."),
    ("description", "court", "10 caractères au moins."),
    ("type", "jeu-video", "Choisissez un type de réutilisation : Application, Visualisation, Article, API, "
                          "Étude ou publication, Autre."),
    ("image_url", "http://exemple.fr/image.png", "L'adresse de l'image doit commencer par https://."),
    ("image_url", "javascript:alert(1)", "L'adresse de l'image doit commencer par https://."),
    ("datasets", [], "Indiquez au moins un jeu de données utilisé par la réutilisation."),
    ("datasets", "jeu-inconnu", "Jeu de données introuvable : « jeu-inconnu »."),
    ("datasets", "brouillon-prive", "Jeu de données introuvable : « brouillon-prive »."),
    ("datasets", [f"jeu-{i}" for i in range(21)], "20 jeux de données au plus."),
    ("datasets", {"id": "lycees-reutilises"}, "Indiquez au moins un jeu de données utilisé par la réutilisation."),
    # a dataset's page address is fine, but not another site's page
    ("datasets", "https://ailleurs.fr/jeux/lycees", "Jeu de données introuvable : « https://ailleurs.fr/jeux/lycees »."),
]


def test_odd_inputs_are_refused_in_french(app, world):
    count = model.Session.query(Reuse).count()
    for field, value, message in ODD_INPUTS:
        data = {"title": "Réutilisation de test", "description": "Une description suffisante.",
                "url": "https://exemple.fr", "type": "article", "datasets": ["lycees-reutilises"], field: value}
        refused = api(app, "datasud_reuse_create", world["declarante"], status=409, **data)
        assert message in errors_of(refused)[field], (field, value, refused)
    assert model.Session.query(Reuse).count() == count  # nothing stored


def test_a_private_dataset_is_refused_even_to_its_editors(app, world):
    """A member of the partner sees its unvalidated dataset, but a reuse can only use
    published public ones."""
    helpers.call_action("organization_member_create", id=world["org"]["id"], username="reuse-autre", role="editor")
    try:
        refused = api(app, "datasud_reuse_create", world["autre"], status=409, title="Réutilisation d'un brouillon",
                      description="Avec un jeu de données non validé.", url="https://exemple.fr", type="other",
                      datasets=["brouillon-prive"])
        assert errors_of(refused)["datasets"] == [
            "Le jeu de données « Brouillon privé » n'est pas publié : une réutilisation ne peut utiliser que des "
            "jeux de données publics publiés."]
    finally:
        helpers.call_action("organization_member_delete", context={"user": world["equipe"]["name"]},
                            id=world["org"]["id"], username="reuse-autre")


def test_html_is_shown_as_text(app, world):
    reuse = declare(app, world, title='<img src=x onerror="alert(1)">Carte',
                    description="<script>alert(document.cookie)</script>\nDeuxième ligne <b>gras</b>",
                    url='https://exemple.fr/"><script>alert(1)</script>')
    api(app, "datasud_reuse_moderate", world["equipe"], status=200, id=reuse["id"], decision="publish")
    for url in (f"/reutilisations/{reuse['id']}", "/reutilisations", f"/dataset/{world['lycees']['name']}"):
        html = app.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and '<img src=x onerror' not in html, url
    html = app.get(f"/reutilisations/{reuse['id']}").get_data(as_text=True)
    assert "&lt;script&gt;alert(document.cookie)&lt;/script&gt;" in html
    assert "&lt;b&gt;gras&lt;/b&gt;" in html
    link = page(app.get(f"/reutilisations/{reuse['id']}")).select_one("a.datasud-reuse-url")
    assert link["href"] == 'https://exemple.fr/"><script>alert(1)</script>'
    assert "nofollow" in link["rel"] and "noopener" in link["rel"]


# --- Images ------------------------------------------------------------------------------------

def upload(app, world, content: bytes, filename: str, content_type: str, title: str):
    data = {"title": title, "description": "Avec une image téléversée.", "url": "https://exemple.fr",
            "type": "application", "datasets": "lycees-reutilises",
            "image_upload": (io.BytesIO(content), filename, content_type)}
    return app.post("/api/3/action/datasud_reuse_create", data=data, headers=world["declarante"]["headers"],
                    content_type="multipart/form-data", status=None)


def test_an_uploaded_image_is_stored_and_served_as_an_image(app, world):
    response = upload(app, world, PNG, "capture.png", "image/png", "Avec une capture")
    assert response.status_code == 200, response.json
    reuse = response.json["result"]
    path = reuse["image_display_url"].split("://", 1)[1].split("/", 1)[1]
    assert path.startswith("uploads/reuse/") and path.endswith(".png")
    served = app.get("/" + path)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
    assert served.get_data() == PNG and served.headers["X-Content-Type-Options"] == "nosniff"
    from ckan.lib.uploader import get_storage_path
    file_path = os.path.join(get_storage_path(), "storage", "uploads", "reuse", reuse["image_url"])
    assert os.path.isfile(file_path)
    api(app, "datasud_reuse_delete", world["declarante"], status=200, id=reuse["id"])
    assert not os.path.exists(file_path)  # deleted with its reuse


def test_an_image_that_is_not_a_bitmap_is_refused(app, world):
    from ckan.lib.uploader import get_storage_path
    folder = os.path.join(get_storage_path(), "storage", "uploads", "reuse")
    files_before = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    count = model.Session.query(Reuse).count()
    for content, filename, content_type in (
            (HTML, "capture.png", "image/png"),  # an HTML page pretending to be an image
            (HTML, "page.html", "text/html"),
            (SVG, "dessin.svg", "image/svg+xml")):  # SVG can carry scripts: not accepted
        response = upload(app, world, content, filename, content_type, "Avec une fausse image")
        assert response.status_code == 409, filename
        assert response.json["error"]["image_upload"] == ["L'image doit être un fichier PNG, JPEG, GIF ou WebP."]
    assert model.Session.query(Reuse).count() == count
    assert (set(os.listdir(folder)) if os.path.isdir(folder) else set()) == files_before


def test_an_image_too_large_is_refused(app, world, ckan_config, monkeypatch):
    monkeypatch.setitem(ckan_config, "ckan.max_image_size", 1)
    big = PNG + b"\0" * (1024 * 1024 + 10)
    count = model.Session.query(Reuse).count()
    response = upload(app, world, big, "grande.png", "image/png", "Avec une image trop grande")
    assert response.status_code == 409
    assert response.json["error"]["image_upload"] == ["L'image est trop grande (1 Mo au plus)."]
    assert model.Session.query(Reuse).count() == count


# --- A dataset withdrawn later -------------------------------------------------------------------

def test_a_withdrawn_dataset_is_no_longer_shown_through_a_reuse(app, world):
    extra = factories.Dataset(owner_org=world["org"]["id"], name="jeu-retire", title="Jeu bientôt retiré")
    reuse = declare(app, world, title="Réutilise un jeu retiré", datasets=["lycees-reutilises", "jeu-retire"])
    api(app, "datasud_reuse_moderate", world["equipe"], status=200, id=reuse["id"], decision="publish")
    assert len(get(app, "datasud_reuse_show", id=reuse["id"]).json["result"]["datasets"]) == 2
    helpers.call_action("datasud_workflow_withdraw", context={"user": world["equipe"]["name"]},
                        id=extra["id"], comment="Données périmées.")
    assert model.Package.get(extra["id"]).private is True
    shown = get(app, "datasud_reuse_show", id=reuse["id"]).json["result"]
    assert [d["name"] for d in shown["datasets"]] == ["lycees-reutilises"]
    html = app.get(f"/reutilisations/{reuse['id']}").get_data(as_text=True)
    assert "Jeu bientôt retiré" not in html and "jeu-retire" not in html
    listed = app.get("/reutilisations").get_data(as_text=True)
    assert "Jeu bientôt retiré" not in listed
    # and its reuses are not listed through it for those who may not see it
    assert get(app, "datasud_reuse_list", dataset="jeu-retire").status_code == 403


# --- Pages -------------------------------------------------------------------------------------

def csrf_token(response) -> str:
    return page(response).select_one('input[name="_csrf_token"]')["value"]


class Browser:
    """A browser session of a user logged in through the login form (its cookie jar holds
    the session, and so the CSRF token)."""

    def __init__(self, app, user_name: str):
        self.client = app.test_client()
        login = self.client.get("/user/login")
        response = self.client.post("/user/login", data={
            "login": user_name, "password": PASSWORD, "_csrf_token": csrf_token(login)}, follow_redirects=False)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict, **kwargs):
        return self.client.post(url, data=data, **kwargs)


def test_pages_and_forms(app, world):
    # the form: logged-in users only, prefilled with ?jeu=
    anonymous = app.get("/reutilisations/nouvelle", status=None, follow_redirects=False)
    assert anonymous.status_code == 302 and "/user/login" in anonymous.headers["Location"]
    declarant = Browser(app, "reuse-declarante")
    form = declarant.get("/reutilisations/nouvelle?jeu=cales-reutilisees")
    assert page(form).select_one("#reuse-datasets").get_text() == "cales-reutilisees"
    assert page(form).select_one("h1").get_text(strip=True) == "Déclarer une réutilisation"
    private = declarant.get("/reutilisations/nouvelle?jeu=brouillon-prive")
    assert page(private).select_one("#reuse-datasets").get_text() == ""

    data = {"title": "Déclarée par le formulaire", "type": "article", "url": "https://exemple.fr/article",
            "description": "Un article qui cite les cales.", "datasets": "cales-reutilisees"}
    count = model.Session.query(Reuse).count()
    no_token = declarant.post("/reutilisations/nouvelle", data)  # refused by CKAN's check, or else ours
    assert no_token.status_code == 400
    assert model.Session.query(Reuse).count() == count

    bad = declarant.post("/reutilisations/nouvelle", {**data, "url": "javascript:alert(1)",
                                                      "_csrf_token": csrf_token(form)})
    assert bad.status_code == 400
    assert page(bad).select_one("#reuse-url-error").get_text(strip=True) == \
        "L'adresse de la réutilisation doit commencer par http:// ou https://."
    assert page(bad).select_one("#reuse-title")["value"] == "Déclarée par le formulaire"  # nothing typed is lost

    sent = declarant.post("/reutilisations/nouvelle", {**data, "_csrf_token": csrf_token(form)},
                          follow_redirects=False)
    assert sent.status_code == 302
    reuse_id = sent.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    assert model.Session.get(Reuse, reuse_id).state == "pending"
    mine = page(declarant.get(f"/reutilisations/{reuse_id}"))
    assert "attend la modération" in mine.select_one(".datasud-reuse-state").get_text()
    assert mine.select_one("button.datasud-reuse-delete") is not None
    assert mine.select_one(".datasud-reuse-moderation") is None

    # the moderation queue: the programme team only
    assert declarant.get("/reutilisations/moderation").status_code == 403
    refused = declarant.post(f"/reutilisations/{reuse_id}/moderer",
                             {"decision": "publish", "_csrf_token": csrf_token(form)})
    assert refused.status_code == 403
    team = Browser(app, "reuse-equipe")
    queue = team.get("/reutilisations/moderation")
    pending = page(queue).select_one(f'[data-reuse="{reuse_id}"]')
    assert "Déclarée par le formulaire" in pending.get_text() and "reuse-declarante" in pending.get_text()
    assert pending.select_one("button.datasud-reuse-publish") and pending.select_one("button.datasud-reuse-reject")
    forged = team.post(f"/reutilisations/{reuse_id}/moderer", {"decision": "publish"})  # no token
    assert forged.status_code == 400
    assert model.Session.get(Reuse, reuse_id).state == "pending"
    published = team.post(f"/reutilisations/{reuse_id}/moderer",
                          {"decision": "publish", "_csrf_token": csrf_token(queue)}, follow_redirects=False)
    assert published.status_code == 302
    model.Session.expire_all()
    assert model.Session.get(Reuse, reuse_id).state == "published"

    listing = page(app.get("/reutilisations"))
    card = listing.select_one(f'[data-reuse="{reuse_id}"]')
    assert card.select_one(".datasud-reuse-type").get_text(strip=True) == "Article"
    assert "Cales réutilisées" in card.select_one(".datasud-reuse-datasets").get_text()
    assert listing.select_one("h1").get_text(strip=True) == "Réutilisations"
    read = page(app.get(f"/reutilisations/{reuse_id}"))
    assert read.select_one("h1").get_text(strip=True) == "Déclarée par le formulaire"
    assert read.select_one(".datasud-reuse-moderation") is None and read.select_one(".datasud-reuse-delete") is None
    assert app.get("/reutilisations/pas-une-reutilisation", status=None).status_code == 404
    assert app.get("/reutilisations?page=999", status=None).status_code == 404
    assert app.get("/reutilisations?page=abc").status_code == 200
    english = page(app.get("/en/reutilisations"))
    assert english.select_one("h1").get_text(strip=True) == "Reuses"

    # the dataset page's snippet (included by the dataset page)
    import ckan.plugins.toolkit as tk
    pkg = helpers.call_action("package_show", id="cales-reutilisees")
    with app.flask_app.test_request_context("/dataset/cales-reutilisees"):
        snippet = BeautifulSoup(tk.render_snippet("package/snippets/datasud_reuses.html", {"pkg": pkg}),
                                "html.parser")
    assert snippet.select_one("h2").get_text(strip=True) == "Réutilisations"
    assert snippet.select_one(f'[data-reuse="{reuse_id}"] a.datasud-reuse-title')["href"] == \
        f"/reutilisations/{reuse_id}"
    assert snippet.select_one("a.datasud-reuse-declare")["href"] == "/reutilisations/nouvelle?jeu=cales-reutilisees"


def test_a_user_has_at_most_ten_reuses_waiting(app, world):
    user = ckan_factories.User(name="reuse-prolifique", password=PASSWORD)
    user["headers"] = {"Authorization": ckan_factories.APIToken(user=user["name"])["token"]}
    for number in range(10):
        declare(app, world, user, title=f"Réutilisation numéro {number}")
    refused = api(app, "datasud_reuse_create", user, status=409, title="Une de trop",
                  description="La onzième en attente.", url="https://exemple.fr", type="other",
                  datasets=["lycees-reutilises"])
    assert errors_of(refused)["title"] == [
        "Vous avez déjà 10 réutilisations en attente de modération : merci d'attendre que l'équipe du "
        "programme les ait vérifiées."]
    # the list shows them their reuses waiting, and the programme team's queue oldest first
    mine = page(Browser(app, "reuse-prolifique").get("/reutilisations")).select_one(".datasud-reuse-mine")
    assert "Réutilisation numéro 9" in mine.get_text() and "en attente de modération" in mine.get_text()
    queue = get(app, "datasud_reuse_list", world["equipe"], state="pending", sort="oldest", limit=100).json["result"]
    created = [r["created"] for r in queue["results"]]
    assert created == sorted(created) and queue["count"] >= 10
