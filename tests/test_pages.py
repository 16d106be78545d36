"""The portal's own pages (issue 12, item 5): À propos, Glossaire, Mentions légales,
Accessibilité, Licence and Contact in French with one h1 each; the contact form (CSRF,
French errors, the e-mail to the programme team through the real Celery worker and SMTP
server, the rate limit per address, the honeypot); the English strings issue 12 found
in the French UI gone. Real HTTP requests of CKAN's test client, no mocks."""
from __future__ import annotations

import time
import uuid

import pytest
from bs4 import BeautifulSoup

TEAM = "equipe-datasud@example.org"
FIELD = "_csrf_token"

pytestmark = [
    pytest.mark.usefixtures("clean_module_db"),
    pytest.mark.ckan_config("ckanext.datasud.contact.email", TEAM),
    pytest.mark.ckan_config("ckanext.datasud.contact.per_address", "2"),
]


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def an_address() -> str:
    """A client address of its own per test: the rate-limit counters live an hour in Redis."""
    return "10.{}.{}.{}".format(*uuid.uuid4().bytes[:3])


class Visitor:
    """A web client with its cookie jar (the CSRF token lives in the session) and its address."""

    def __init__(self, app):
        self.client = app.test_client()
        self.environ = {"REMOTE_ADDR": an_address()}

    def get(self, url: str):
        return self.client.get(url, environ_base=self.environ)

    def post_contact(self, data: dict, with_token: bool = True):
        data = dict(data)
        if with_token:
            form = soup(self.get("/contact"))
            data[FIELD] = form.select_one(f"form.datasud-contact input[name={FIELD}]")["value"]
        return self.client.post("/contact", data=data, environ_base=self.environ)


def message(**extra) -> dict:
    data = {"name": "Camille Martin", "email": "camille@example.fr",
            "subject": f"Question {uuid.uuid4().hex[:8]}",
            "message": "Les données des lycées sont-elles mises à jour chaque année ?"}
    data.update(extra)
    return data


def mails_about(mailbox, subject: str) -> list:
    return [m for m in mailbox.messages if subject in str(m["Subject"])]


def wait_for_mail(mailbox, subject: str, seconds: float = 30, again: dict | None = None) -> list:
    """The e-mails about ``subject``, once arrived. ``again``: the message posted, queued
    again (at most 3 times) when it does not arrive: another test run's worker on the same
    broker may have taken it and sent it to its own mailbox."""
    from ckanext.datasud import tasks

    for attempt in range(4 if again else 1):
        deadline = time.time() + seconds
        while time.time() < deadline:
            found = mails_about(mailbox, subject)
            if found:
                return found
            time.sleep(0.2)
        if again:
            tasks.send_contact_message.delay(**again, to=[TEAM])
    pytest.fail(f"no e-mail « {subject} »: see var/log/test-celery-worker.log")


@pytest.mark.parametrize("url, heading, text", [
    ("/a-propos", "À propos de DataSud : missions et objectifs", "stratégie Smart Région"),
    ("/about", "À propos de DataSud : missions et objectifs", "Open PACA"),
    ("/glossaire", "Glossaire de l’open data", "Moissonnage"),
    ("/mentions-legales", "Mentions légales", "Données personnelles"),
    ("/accessibilite", "Déclaration d’accessibilité", "partiellement conforme"),
    ("/licence", "Licence Ouverte 2.0 : ce que vous pouvez faire des données", "Etalab"),
    ("/contact", "Écrire à l'équipe DataSud", "Votre adresse électronique"),
])
def test_each_page_is_french_with_one_h1(app, url, heading, text):
    page = soup(app.get(url, status=200))
    assert page.html["lang"] == "fr"
    headings = page.find_all("h1")
    assert [h.get_text(strip=True) for h in headings] == [heading]
    assert text in page.get_text()
    # headings in order: no h3 before the first h2 in the page's own content
    levels = [int(h.name[1]) for h in page.select("article.datasud-page :is(h1, h2, h3, h4)")]
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), levels


def test_about_replaces_ckans_english_text(app):
    body = app.get("/about").get_data(as_text=True)
    assert "CKAN is the world" not in body and "open-source data portal" not in body


def test_become_a_partner_presets_the_subject(app):
    page = soup(app.get("/contact?sujet=partenariat"))
    assert page.select_one("#contact-subject")["value"] == "Devenir partenaire de DataSud"
    for url in ("/a-propos", "/partenaires"):
        assert soup(app.get(url)).select_one('a[href="/contact?sujet=partenariat"]') is not None, url


def test_contact_form_has_labels_csrf_and_a_hidden_honeypot(app):
    form = soup(app.get("/contact")).select_one("form.datasud-contact")
    assert form["method"] == "post"
    assert form.select_one(f"input[name={FIELD}]")["value"]
    for name in ("name", "email", "subject", "message", "website"):
        field = form.select_one(f"[name={name}]")
        assert form.select_one(f'label[for="{field["id"]}"]') is not None, name
    assert "visually-hidden" in form.select_one("[name=website]").parent["class"]


def test_contact_without_csrf_token_is_refused(app, worker_mailbox):
    visitor = Visitor(app)
    data = message()
    response = visitor.post_contact(data, with_token=False)
    assert response.status_code == 400
    assert "Le formulaire a expiré" in soup(response).select_one(".alert-danger").get_text()
    visitor.get("/contact")  # a session with its token, and a forged one sent
    response = visitor.post_contact(dict(data, **{FIELD: "forged"}), with_token=False)
    assert response.status_code == 400
    assert not mails_about(worker_mailbox, data["subject"])


def test_contact_errors_are_french_and_keep_the_input(app):
    visitor = Visitor(app)
    response = visitor.post_contact({"name": "", "email": "pas-une-adresse", "subject": "Bonjour",
                                     "message": "Court"})
    assert response.status_code == 400
    page = soup(response)
    errors = {e["id"]: e.get_text(strip=True) for e in page.select(".invalid-feedback")}
    assert errors == {
        "contact-name-error": "Veuillez remplir ce champ.",
        "contact-email-error": "Saisissez une adresse électronique valide, par exemple nom@exemple.fr.",
        "contact-message-error": "Votre message est trop court (10 caractères au moins).",
    }
    assert page.select_one("#contact-subject")["value"] == "Bonjour"
    assert page.select_one("#contact-email")["aria-invalid"] == "true"
    assert "corrigez les champs" in page.get_text()


def test_contact_mails_the_team_and_ignores_the_honeypot(app, celery_worker, worker_mailbox):
    visitor = Visitor(app)
    robot = message(website="http://spam.example.com")
    response = visitor.post_contact(robot)
    assert response.status_code == 200 and "Message envoyé" in soup(response).h1.get_text()

    data = message()
    response = visitor.post_contact(data)
    assert response.status_code == 200
    assert "Merci" in soup(response).get_text()
    mail = wait_for_mail(worker_mailbox, data["subject"], seconds=20, again=data)
    assert len(mail) == 1
    assert TEAM in mail[0]["To"] and data["email"] in mail[0]["Reply-To"]
    body = mail[0].get_payload(decode=True).decode("utf-8")
    assert data["message"] in body and "Camille Martin" in body and "formulaire de contact" in body
    # the worker's queue is in order: the robot's message, posted first, was never queued
    assert not mails_about(worker_mailbox, robot["subject"])


def test_contact_rate_limit_per_address(app, celery_worker, worker_mailbox):
    visitor = Visitor(app)
    for _ in range(2):  # ckanext.datasud.contact.per_address = 2
        assert visitor.post_contact(message()).status_code == 200
    refused = message()
    response = visitor.post_contact(refused)
    assert response.status_code == 429
    assert "Trop de tentatives" in soup(response).select_one(".alert-danger").get_text()
    other = Visitor(app)  # another address is not limited
    assert other.post_contact(message()).status_code == 200
    time.sleep(1)
    assert not mails_about(worker_mailbox, refused["subject"])


def test_validation_history_dates_in_french_order(app):
    from datetime import datetime
    from ckanext.datasud.dates import long_datetime as datasud_datetime
    with app.flask_app.test_request_context("/"):
        assert datasud_datetime(datetime(2026, 12, 2, 14, 5)).startswith("2 décembre 2026 à ")


@pytest.mark.parametrize("url", ["/", "/dataset/", "/user/login", "/harvest/", "/page-qui-n-existe-pas",
                                 "/dataset/jeu-qui-n-existe-pas"])
def test_english_left_in_the_french_ui_is_gone(app, url):
    response = app.get(url)
    assert response.status_code in (200, 404)
    body = response.get_data(as_text=True)
    text = soup(response).get_text(" ")
    for english in ("Skip to main content", "Username or Email", "Harvest Sources", "Create Harvest Source",
                    "No harvests found", "Not Found", "resultats", "jeux des données", "regénération"):
        assert english not in text, (url, english)
    assert ">Go<" not in body.replace(" ", "").replace("\n", "")
    if response.status_code == 404:
        assert soup(response).h1.get_text(strip=True) == "Page introuvable"


def test_markdown_hint_and_follow_button_are_french(app):
    from ckan.tests import factories as ckan_factories
    user = ckan_factories.Sysadmin()
    token = ckan_factories.APIToken(user=user["name"])["token"]
    org = ckan_factories.Organization()
    form = app.get("/organization/new", headers={"Authorization": token}).get_data(as_text=True)
    assert "syntaxe Markdown" in form and "Markdown formatting" not in form
    page = soup(app.get(f"/organization/{org['name']}", headers={"Authorization": token}))
    buttons = [a.get_text(strip=True) for a in page.select("a[hx-post]")]
    assert buttons and all(b in ("Suivre", "Ne plus suivre") for b in buttons), buttons
