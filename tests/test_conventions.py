"""Partner conventions: actions, auth, the publish rule, expiry."""
from __future__ import annotations

import datetime as dt
import email
import email.header
import email.utils
import socket
import time

import pytest
from freezegun import freeze_time

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud import conventions
from ckanext.datasud.model import Convention, ConventionNotice
from tests import factories

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


@pytest.fixture
def sysadmin():
    user = ckan_factories.Sysadmin()
    user["headers"] = {"Authorization": ckan_factories.APIToken(user=user["name"])["token"]}
    return user


@pytest.fixture
def partner():
    """An organisation without any convention yet."""
    return ckan_factories.Organization(name="metropole-test", title="Métropole de test")


def api(app, action, headers=None, **data):
    return app.post(f"/api/3/action/{action}", json=data, headers=headers or {}, status=None)


def user_headers(user) -> dict:
    return {"Authorization": ckan_factories.APIToken(user=user["name"])["token"]}


CONVENTION = {"reference": "CONV-2024-001", "kind": "partnership", "status": "in_force",
              "signed_on": "2024-01-10", "starts_on": "2024-01-15", "ends_on": "2030-01-14",
              "signatories": "Le Président de Région ; le Président de la Métropole",
              "scope_notes": "Note interne : données mobilité en priorité."}


# --- Actions ---------------------------------------------------------------------------

def test_create_show_update_list_delete(app, sysadmin, partner):
    created = api(app, "datasud_convention_create", sysadmin["headers"],
                  organization_id=partner["name"], **CONVENTION).json["result"]
    assert created["organization_id"] == partner["id"] and created["in_force"] is True
    assert created["created_by"] == sysadmin["name"] and created["starts_on"] == "2024-01-15"

    shown = api(app, "datasud_convention_show", sysadmin["headers"], id=created["id"]).json["result"]
    assert shown == created

    updated = api(app, "datasud_convention_update", sysadmin["headers"], id=created["id"],
                  status="suspended").json["result"]
    assert updated["status"] == "suspended" and updated["in_force"] is False
    assert updated["reference"] == "CONV-2024-001"  # untouched fields kept
    assert updated["modified_by"] == sysadmin["name"]

    listed = api(app, "datasud_convention_list", sysadmin["headers"], organization_id=partner["id"]).json["result"]
    assert [c["id"] for c in listed] == [created["id"]]

    assert api(app, "datasud_convention_delete", sysadmin["headers"], id=created["id"]).json["success"]
    assert api(app, "datasud_convention_show", sysadmin["headers"], id=created["id"]).status_code == 404


@pytest.mark.parametrize("fields,field,message", [
    ({"starts_on": "2024-06-01", "ends_on": "2024-01-01"}, "ends_on",
     "La date de fin (2024-01-01) est antérieure à la date de début (2024-06-01)."),
    ({"organization_id": "inconnue"}, "organization_id", "Organisation inconnue : « inconnue »."),
    ({"kind": "amitie"}, "kind", "Valeur inconnue : « amitie »."),
    ({"status": "signee"}, "status", "Valeur inconnue : « signee »."),
    ({"starts_on": ""}, "starts_on", "Valeur manquante"),
    ({"starts_on": "15/01/2024"}, "starts_on", "Date invalide : « 15/01/2024 »"),
])
def test_validation_errors_are_clear(app, sysadmin, partner, fields, field, message):
    data = {**CONVENTION, "organization_id": partner["id"], **fields}
    response = api(app, "datasud_convention_create", sysadmin["headers"], **data)
    assert response.status_code == 409
    errors = response.json["error"]
    assert any(m.startswith(message) for m in errors[field]), errors
    assert model.Session.query(Convention).count() == 0


def test_overlapping_conventions_of_the_same_kind_are_refused(app, sysadmin, partner):
    api(app, "datasud_convention_create", sysadmin["headers"], organization_id=partner["id"], **CONVENTION)
    overlapping = {**CONVENTION, "reference": "CONV-2025-002", "starts_on": "2029-06-01", "ends_on": "2033-01-01"}
    response = api(app, "datasud_convention_create", sysadmin["headers"], organization_id=partner["id"], **overlapping)
    assert response.status_code == 409
    assert response.json["error"]["starts_on"] == [
        "Cette convention chevauche la convention CONV-2024-001 de même type (2024-01-15 – 2030-01-14)."]
    # another kind may overlap; so may a convention that follows the first one
    other_kind = {**overlapping, "kind": "harvesting"}
    assert api(app, "datasud_convention_create", sysadmin["headers"], organization_id=partner["id"],
               **other_kind).status_code == 200
    following = {**CONVENTION, "reference": "CONV-2030-003", "starts_on": "2030-01-15", "ends_on": None}
    assert api(app, "datasud_convention_create", sysadmin["headers"], organization_id=partner["id"],
               **following).status_code == 200


def test_reference_is_unique(app, sysadmin, partner):
    api(app, "datasud_convention_create", sysadmin["headers"], organization_id=partner["id"], **CONVENTION)
    again = {**CONVENTION, "kind": "harvesting"}
    response = api(app, "datasud_convention_create", sysadmin["headers"], organization_id=partner["id"], **again)
    assert response.json["error"]["reference"] == ["Une convention de référence « CONV-2024-001 » existe déjà."]


def test_document_upload_is_stored(app, sysadmin, partner, ckan_config):
    from pathlib import Path
    response = app.post("/api/3/action/datasud_convention_create", headers=sysadmin["headers"], data={
        **{k: v for k, v in CONVENTION.items()}, "organization_id": partner["id"],
        "document_upload": (__import__("io").BytesIO(b"%PDF-1.4 convention"), "convention.pdf")})
    result = response.json["result"]
    url = result["document_url"]
    assert url.startswith("http://127.0.0.1") and "/partenaires/conventions/document/" in url
    assert url.endswith("convention.pdf")
    stored = Path(ckan_config["ckan.storage_path"]) / "storage" / "uploads" / "conventions" / url.rsplit("/", 1)[1]
    assert stored.read_bytes() == b"%PDF-1.4 convention"
    path = url.replace("http://127.0.0.1:5000", "")
    assert app.get(path, headers=sysadmin["headers"]).data == b"%PDF-1.4 convention"
    assert app.get(path, status=None).status_code == 403  # not to anyone (tests/test_files_security.py)


# --- Auth ------------------------------------------------------------------------------

def test_programme_team_manages_conventions(app, partner, ckan_config, monkeypatch):
    member = ckan_factories.User(name="marie-programme")
    monkeypatch.setitem(ckan_config, "ckanext.datasud.programme_team", ["marie-programme"])
    response = api(app, "datasud_convention_create", user_headers(member), organization_id=partner["id"], **CONVENTION)
    assert response.status_code == 200, response.body


def test_programme_team_group_members_manage_conventions(app, partner, ckan_config, monkeypatch):
    member = ckan_factories.User(name="jean-programme")
    ckan_factories.Group(name="equipe-programme", users=[{"name": member["name"], "capacity": "member"}])
    monkeypatch.setitem(ckan_config, "ckanext.datasud.programme_team_group", "equipe-programme")
    response = api(app, "datasud_convention_create", user_headers(member), organization_id=partner["id"], **CONVENTION)
    assert response.status_code == 200, response.body


def test_others_cannot_manage_conventions(app, partner):
    editor = ckan_factories.User()
    admin = ckan_factories.User()
    helpers.call_action("organization_member_create", id=partner["id"], username=admin["name"], role="admin")
    helpers.call_action("organization_member_create", id=partner["id"], username=editor["name"], role="editor")
    for headers in ({}, user_headers(editor), user_headers(admin)):
        response = api(app, "datasud_convention_create", headers, organization_id=partner["id"], **CONVENTION)
        assert response.status_code == 403
    assert model.Session.query(Convention).count() == 0


def test_organisation_admins_read_their_conventions_only(app, sysadmin, partner):
    api(app, "datasud_convention_create", sysadmin["headers"], organization_id=partner["id"], **CONVENTION)
    admin, editor, stranger = ckan_factories.User(), ckan_factories.User(), ckan_factories.User()
    helpers.call_action("organization_member_create", id=partner["id"], username=admin["name"], role="admin")
    helpers.call_action("organization_member_create", id=partner["id"], username=editor["name"], role="editor")
    listed = api(app, "datasud_convention_list", user_headers(admin), organization_id=partner["id"])
    assert listed.status_code == 200 and listed.json["result"][0]["scope_notes"].startswith("Note interne")
    for headers in ({}, user_headers(editor), user_headers(stranger)):
        assert api(app, "datasud_convention_list", headers, organization_id=partner["id"]).status_code == 403
    # without an organisation, only the programme team lists every convention
    assert api(app, "datasud_convention_list", user_headers(admin)).status_code == 403


def test_public_partner_list_has_no_internal_notes(app, sysadmin, partner):
    api(app, "datasud_convention_create", sysadmin["headers"], organization_id=partner["id"], **CONVENTION)
    draft_only = ckan_factories.Organization(name="sans-convention-en-vigueur")
    api(app, "datasud_convention_create", sysadmin["headers"], organization_id=draft_only["id"],
        **{**CONVENTION, "reference": "CONV-DRAFT", "status": "draft"})
    factories.Dataset(owner_org=partner["id"])
    partners = api(app, "datasud_partner_list").json["result"]
    assert [p["name"] for p in partners] == ["metropole-test"]
    [p] = partners
    assert p["convention_since"] == "2024-01-15" and p["public_dataset_count"] == 1
    assert "scope_notes" not in p and "signatories" not in p and "reference" not in p


# --- The rule: only a partner with a convention in force publishes --------------------

REFUSAL = ("Métropole de test n'a pas de convention en vigueur avec la Région : ses jeux de données "
           "ne peuvent pas être rendus publics.")
UNVALIDATED = "Un jeu de données est publié par le circuit de validation"


def dataset_data(partner, **extra):
    return {"name": "jeu-metropole", "title": "Jeu de la métropole", "notes": "Des données.",
            "owner_org": partner["id"], "themes": ["mobilite-transports"], **extra}


def run_workflow(app, sysadmin, name="jeu-metropole"):
    """Submit, legal opinion, committee validation: the last answer (the committee's)."""
    for action, data in (("submit", {}), ("legal_opinion", {"opinion": "favourable"}),
                         ("committee_decision", {"decision": "validated"})):
        response = api(app, f"datasud_workflow_{action}", sysadmin["headers"], id=name, **data)
    return response


def test_no_convention_no_publication(app, sysadmin, partner):
    created = api(app, "package_create", sysadmin["headers"], **dataset_data(partner))
    assert created.status_code == 200 and created.json["result"]["private"] is True  # a draft
    decision = run_workflow(app, sysadmin)
    assert decision.status_code == 409
    assert decision.json["error"]["state"][0].startswith(REFUSAL)
    assert model.Package.get("jeu-metropole").private is True


def test_no_door_publishes_without_validation(app, sysadmin, partner):
    api(app, "datasud_convention_create", sysadmin["headers"], organization_id=partner["id"], **CONVENTION)
    refused = api(app, "package_create", sysadmin["headers"], **dataset_data(partner, private=False))
    assert refused.status_code == 409 and refused.json["error"]["private"][0].startswith(UNVALIDATED)
    created = api(app, "package_create", sysadmin["headers"], **dataset_data(partner, private=True))
    for action, data in (("package_patch", {"id": "jeu-metropole", "private": False}),
                         ("package_update", dataset_data(partner, private=False)),
                         ("bulk_update_public", {"datasets": [created.json["result"]["id"]], "org_id": partner["id"]})):
        response = api(app, action, sysadmin["headers"], **data)
        assert response.status_code == 409, action
        assert response.json["error"]["private"][0].startswith(UNVALIDATED)
        assert model.Package.get("jeu-metropole").private is True


def test_convention_in_force_allows_publishing(app, sysadmin, partner):
    api(app, "datasud_convention_create", sysadmin["headers"], organization_id=partner["id"], **CONVENTION)
    api(app, "package_create", sysadmin["headers"], **dataset_data(partner))
    decision = run_workflow(app, sysadmin)
    assert decision.status_code == 200 and decision.json["result"]["state"] == "published"
    assert model.Package.get("jeu-metropole").private is False


@pytest.mark.parametrize("status,starts,ends", [
    ("draft", "2024-01-15", None), ("suspended", "2024-01-15", None), ("terminated", "2024-01-15", None),
    ("in_force", "2099-01-01", None), ("in_force", "2020-01-01", "2021-01-01"),
])
def test_conventions_not_in_force_do_not_allow_publishing(app, sysadmin, partner, status, starts, ends):
    api(app, "datasud_convention_create", sysadmin["headers"], organization_id=partner["id"],
        **{**CONVENTION, "status": status, "starts_on": starts, "ends_on": ends})
    api(app, "package_create", sysadmin["headers"], **dataset_data(partner))
    assert run_workflow(app, sysadmin).status_code == 409


def test_public_datasets_stay_public_when_the_convention_expires(app, sysadmin, partner):
    created = api(app, "datasud_convention_create", sysadmin["headers"], organization_id=partner["id"],
                  **CONVENTION).json["result"]
    api(app, "package_create", sysadmin["headers"], **dataset_data(partner))
    run_workflow(app, sysadmin)
    api(app, "datasud_convention_update", sysadmin["headers"], id=created["id"], status="expired")
    # still public, still editable
    response = api(app, "package_patch", sysadmin["headers"], id="jeu-metropole", title="Nouveau titre")
    assert response.status_code == 200 and response.json["result"]["private"] is False
    # and flagged on its page
    page = app.get("/dataset/jeu-metropole").body
    assert "Métropole de test n'a plus de convention en vigueur avec la Région" in page.replace("&#39;", "'")


def test_sysadmin_override_with_a_reason(app, sysadmin, partner):
    missing_reason = api(app, "datasud_publication_override_set", sysadmin["headers"], organization_id=partner["id"])
    assert missing_reason.status_code == 409 and "reason" in missing_reason.json["error"]
    override = api(app, "datasud_publication_override_set", sysadmin["headers"], organization_id=partner["id"],
                   reason="Convention en cours de signature, accord du comité du 12/03.").json["result"]
    assert override["created_by"] == sysadmin["name"]
    api(app, "package_create", sysadmin["headers"], **dataset_data(partner))
    assert run_workflow(app, sysadmin).json["result"]["state"] == "published"
    # only sysadmins
    admin = ckan_factories.User()
    helpers.call_action("organization_member_create", id=partner["id"], username=admin["name"], role="admin")
    assert api(app, "datasud_publication_override_set", user_headers(admin), organization_id=partner["id"],
               reason="moi").status_code == 403
    assert api(app, "datasud_publication_override_delete", sysadmin["headers"],
               organization_id=partner["id"]).status_code == 200
    assert not conventions.may_publish(partner["id"])


def test_the_web_form_cannot_publish_directly(app, sysadmin, partner):
    response = app.post("/dataset/new", headers=sysadmin["headers"], data={
        **dataset_data(partner), "license_id": "etalab-2.0", "publication_mode": "download",
        "private": "False", "save": "continue"})
    assert response.status_code == 200
    assert UNVALIDATED in response.body.replace("&#39;", "'")
    assert model.Package.get("jeu-metropole") is None


def test_no_convention_no_harvest_run(app, sysadmin, partner):
    from tests.harvesting import CatalogueServer, allowed_hosts
    with CatalogueServer() as server, allowed_hosts(server.host):  # (never fetched: no job runs here)
        source = helpers.call_action("harvest_source_create", {"user": sysadmin["name"]},
                                     name="source-metropole", url=server.url("/catalog.xml"),
                                     source_type="datasud_dcat", owner_org=partner["id"],
                                     title="Catalogue de la métropole")
    refused = api(app, "harvest_job_create", sysadmin["headers"], source_id=source["id"])
    assert refused.status_code == 409
    assert refused.json["error"]["source_id"] == [
        "Métropole de test n'a pas de convention en vigueur avec la Région : ses sources de moissonnage ne "
        "peuvent pas être lancées."]
    with pytest.raises(tk.ValidationError):  # also for internal callers (the scheduler)
        helpers.call_action("harvest_job_create", {"user": sysadmin["name"]}, source_id=source["id"])
    api(app, "datasud_convention_create", sysadmin["headers"], organization_id=partner["id"],
        **{**CONVENTION, "kind": "harvesting"})
    job = helpers.call_action("harvest_job_create", {"user": sysadmin["name"]}, source_id=source["id"])
    assert job["status"] in ("New", "Running") and job["source_id"] == source["id"]


# --- Expiry (frozen clock) -------------------------------------------------------------

@pytest.fixture
def smtp_server(ckan_config, monkeypatch):
    """A real SMTP server on 127.0.0.1 (aiosmtpd) collecting the messages sent."""
    from aiosmtpd.controller import Controller

    class Collector:
        messages: list = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(email.message_from_bytes(envelope.content))
            return "250 OK"

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    handler = Collector()
    handler.messages = []
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{port}")
    monkeypatch.setitem(ckan_config, "smtp.mail_from", "datasud@example.org")
    yield handler.messages
    controller.stop()


def make_convention(org_id, reference, ends_on, status="in_force", starts_on=dt.date(2020, 1, 1)):
    convention = Convention(organization_id=org_id, reference=reference, kind="partnership", status=status,
                            starts_on=starts_on, ends_on=ends_on, created_by="test")
    model.Session.add(convention)
    model.Session.commit()
    return convention.id


@pytest.mark.usefixtures("with_request_context")
def test_expiry_job_with_a_frozen_clock(smtp_server, partner, ckan_config, monkeypatch):
    team = ckan_factories.User(name="equipe", email="equipe@example.org")
    monkeypatch.setitem(ckan_config, "ckanext.datasud.programme_team", [team["name"]])
    other = ckan_factories.Organization()
    ending = make_convention(partner["id"], "CONV-A", dt.date(2025, 3, 31))
    make_convention(other["id"], "CONV-B", dt.date(2025, 5, 25))

    with freeze_time("2025-01-20"):  # 70 days before CONV-A ends: nothing yet
        assert conventions.expire_and_remind() == {"expired": 0, "reminded": 0}
    with freeze_time("2025-01-31"):  # 59 days before: the 60-day reminder
        assert conventions.expire_and_remind() == {"expired": 0, "reminded": 1}
        assert conventions.expire_and_remind() == {"expired": 0, "reminded": 0}  # safe to run twice
    assert len(smtp_server) == 1
    message = smtp_server[0]
    assert email.utils.parseaddr(message["To"])[1] == "equipe@example.org"
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert subject == "[DataSud] La convention CONV-A avec Métropole de test prend fin le 31/03/2025"
    with freeze_time("2025-03-02"):  # 29 days before: the 30-day reminder
        assert conventions.expire_and_remind() == {"expired": 0, "reminded": 1}
    with freeze_time("2025-03-31"):  # A's last day: still in force; B ends in 55 days
        assert conventions.expire_and_remind() == {"expired": 0, "reminded": 1}
        assert conventions.may_publish(partner["id"])
    with freeze_time("2025-04-01"):  # A expires
        assert conventions.expire_and_remind() == {"expired": 1, "reminded": 0}
        assert conventions.expire_and_remind() == {"expired": 0, "reminded": 0}
        assert not conventions.may_publish(partner["id"])
    assert model.Session.get(Convention, ending).status == "expired"
    assert model.Session.query(ConventionNotice).count() == 3
    assert len(smtp_server) == 3


def test_expiry_task_runs_on_the_celery_worker(celery_worker, partner):
    expired_yesterday = make_convention(partner["id"], "CONV-OLD", dt.date.today() - dt.timedelta(days=1))
    from ckanext.datasud import tasks
    assert tasks.expire_conventions.delay().get(timeout=60) == {"expired": 1, "reminded": 0}
    model.Session.expire_all()
    assert model.Session.get(Convention, expired_yesterday).status == "expired"
    assert tasks.expire_conventions.delay().get(timeout=60) == {"expired": 0, "reminded": 0}


def test_beat_runs_the_expiry_daily():
    from celery.schedules import crontab
    from ckanext.datasud.celery_app import app
    entry = app.conf.beat_schedule["expire-conventions"]
    assert entry["task"] == "datasud.expire_conventions"
    assert entry["schedule"] == crontab(hour=2, minute=15)


def test_downloads_are_counted(app, create_with_upload, sysadmin):
    from ckanext.datasud import services
    dataset = factories.Dataset()
    resource = create_with_upload("a;b\n1;2\n", "donnees.csv", context={"user": sysadmin["name"]},
                                  package_id=dataset["id"])
    before = services.downloads_total()
    app.get(f"/dataset/{dataset['id']}/resource/{resource['id']}/download/donnees.csv")
    app.get(f"/dataset/{dataset['id']}/resource/{resource['id']}/download/donnees.csv")
    assert services.downloads_total() == before + 2
    figures = app.get("/api/3/action/datasud_key_figures").json["result"]
    assert figures["downloads"] == before + 2
    assert figures["datasets"] == 1 and figures["producer_organisations"] == 1
    assert figures["partners_with_convention"] >= 1


@pytest.mark.usefixtures("with_request_context")
def test_a_failing_smtp_server_loses_no_reminder(partner, ckan_config, monkeypatch):
    from ckan.lib.mailer import MailerException
    team = ckan_factories.User(name="equipe", email="equipe@example.org")
    monkeypatch.setitem(ckan_config, "ckanext.datasud.programme_team", [team["name"]])
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{closed.getsockname()[1]}")
    closed.close()  # nothing listens: the SMTP server is down
    make_convention(partner["id"], "CONV-A", dt.date(2025, 3, 31))
    with freeze_time("2025-03-02"):
        with pytest.raises(MailerException):
            conventions.expire_and_remind()
        assert model.Session.query(ConventionNotice).count() == 0  # not marked as sent
        sent = []
        assert conventions.expire_and_remind(send=lambda c, d, r: sent.append((c.reference, d, r))) == \
            {"expired": 0, "reminded": 1}
    assert sent == [("CONV-A", 29, ["equipe@example.org"])]  # days left
