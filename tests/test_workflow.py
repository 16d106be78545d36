"""The validation workflow (first part): states, transitions, roles, history, concurrency."""
from __future__ import annotations

import threading

import pytest

import ckan.model as model
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud.model import Review
from tests import factories

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def member_of(group_name: str):
    user = ckan_factories.User()
    group = model.Group.get(group_name) or None
    if group is None:
        ckan_factories.Group(name=group_name)
    helpers.call_action("group_member_create", id=group_name, username=user["name"], role="member")
    return user


@pytest.fixture
def people():
    org = factories.Organization()
    editor, admin, other = ckan_factories.User(), ckan_factories.User(), ckan_factories.User()
    helpers.call_action("organization_member_create", id=org["id"], username=editor["name"], role="editor")
    return {
        "org": org, "editor": editor, "other": other,
        "legal": member_of("service-juridique"), "committee": member_of("comite-de-pilotage"),
        "commission": member_of("commission-permanente"), "sysadmin": ckan_factories.Sysadmin(),
    }


@pytest.fixture
def dataset(people):
    return factories.Dataset(owner_org=people["org"]["id"], private=True)


def act(action, user, **data):
    return helpers.call_action(f"datasud_workflow_{action}", {"user": user["name"], "ignore_auth": False}, **data)


def visible_to_anonymous(dataset) -> bool:
    return helpers.call_action("package_search", q=f"id:{dataset['id']}")["count"] == 1


def test_full_run_without_vote(people, dataset):
    assert act("show", people["editor"], id=dataset["id"])["state"] == "draft"
    assert act("submit", people["editor"], id=dataset["id"])["state"] == "submitted"
    assert act("legal_opinion", people["legal"], id=dataset["id"], opinion="favourable")["state"] == "committee"
    assert not visible_to_anonymous(dataset)
    shown = act("committee_decision", people["committee"], id=dataset["id"], decision="validated",
                commission_vote_required=False)
    assert shown["state"] == "published" and shown["commission_vote_required"] is False
    assert model.Package.get(dataset["id"]).private is False
    assert visible_to_anonymous(dataset)
    history = shown["history"]
    assert [(h["transition"], h["from_state"], h["to_state"], h["user"]) for h in history] == [
        ("submit", "draft", "submitted", people["editor"]["name"]),
        ("legal_opinion", "submitted", "committee", people["legal"]["name"]),
        ("committee_decision", "committee", "published", people["committee"]["name"]),
    ]


def test_run_with_a_commission_permanente_vote(people, dataset):
    act("submit", people["editor"], id=dataset["id"])
    act("legal_opinion", people["legal"], id=dataset["id"], opinion="favourable_with_reservations",
        comment="Anonymiser la colonne des noms.")
    assert act("committee_decision", people["committee"], id=dataset["id"], decision="validated",
               commission_vote_required=True)["state"] == "commission"
    assert not visible_to_anonymous(dataset)
    shown = act("commission_vote", people["commission"], id=dataset["id"], vote="adopted",
                deliberation_number="24-1234", deliberation_date="2024-06-28")
    assert shown["state"] == "published"
    assert shown["history"][-1]["details"] == {"deliberation_number": "24-1234", "deliberation_date": "2024-06-28"}
    assert shown["history"][1]["comment"] == "Anonymiser la colonne des noms."


@pytest.mark.parametrize("decision", ["rejected", "changes_requested"])
def test_committee_sends_back_to_draft(people, dataset, decision):
    act("submit", people["editor"], id=dataset["id"])
    act("legal_opinion", people["legal"], id=dataset["id"], opinion="unfavourable", comment="Données personnelles.")
    shown = act("committee_decision", people["committee"], id=dataset["id"], decision=decision,
                comment="Retirer les données nominatives.")
    assert shown["state"] == "draft" and model.Package.get(dataset["id"]).private is True
    assert act("submit", people["editor"], id=dataset["id"])["state"] == "submitted"  # and again


def test_withdraw_a_published_dataset_and_submit_it_again(people, dataset):
    act("submit", people["editor"], id=dataset["id"])
    act("legal_opinion", people["legal"], id=dataset["id"], opinion="favourable")
    act("committee_decision", people["committee"], id=dataset["id"], decision="validated")
    with pytest.raises(helpers.logic.ValidationError):
        act("withdraw", people["editor"], id=dataset["id"])  # a reason is required
    assert act("withdraw", people["editor"], id=dataset["id"], comment="Données obsolètes.")["state"] == "withdrawn"
    assert not visible_to_anonymous(dataset)
    assert act("submit", people["editor"], id=dataset["id"])["state"] == "submitted"


@pytest.mark.parametrize("action,role,data", [
    ("legal_opinion", "legal", {"opinion": "favourable"}),
    ("committee_decision", "committee", {"decision": "validated"}),
    ("commission_vote", "commission", {"vote": "adopted", "deliberation_number": "1", "deliberation_date": "2024-01-01"}),
    ("withdraw", "editor", {"comment": "raison"}),
])
def test_illegal_transitions_are_refused_with_a_clear_error(people, dataset, action, role, data):
    with pytest.raises(helpers.logic.ValidationError) as error:
        act(action, people[role], id=dataset["id"], **data)
    assert "state" in error.value.error_dict
    assert model.Session.query(Review).count() == 0


@pytest.mark.parametrize("action,who,data", [
    ("submit", "other", {}),
    ("submit", "legal", {}),
    ("legal_opinion", "editor", {"opinion": "favourable"}),
    ("legal_opinion", "committee", {"opinion": "favourable"}),
])
def test_each_step_belongs_to_its_role(people, dataset, action, who, data):
    if action == "legal_opinion":
        act("submit", people["editor"], id=dataset["id"])
    with pytest.raises(helpers.logic.NotAuthorized):
        act(action, people[who], id=dataset["id"], **data)


def test_sysadmins_can_do_every_step_under_their_own_name(people, dataset):
    admin = people["sysadmin"]
    act("submit", admin, id=dataset["id"])
    act("legal_opinion", admin, id=dataset["id"], opinion="favourable")
    shown = act("committee_decision", admin, id=dataset["id"], decision="validated")
    assert shown["state"] == "published"
    assert {h["user"] for h in shown["history"]} == {admin["name"]}


@pytest.mark.parametrize("action,data,field", [
    ("legal_opinion", {"opinion": "peut-etre"}, "opinion"),
    ("legal_opinion", {"opinion": "unfavourable"}, "comment"),
    ("committee_decision", {"decision": "rejected"}, "comment"),
])
def test_decisions_are_validated(people, dataset, action, data, field):
    act("submit", people["editor"], id=dataset["id"])
    if action == "committee_decision":
        act("legal_opinion", people["legal"], id=dataset["id"], opinion="favourable")
    with pytest.raises(helpers.logic.ValidationError) as error:
        act(action, people["sysadmin"], id=dataset["id"], **data)
    assert field in error.value.error_dict


def test_no_convention_no_publication_through_the_workflow(people):
    org = ckan_factories.Organization()  # no convention
    dataset = factories.Dataset(owner_org=org["id"], private=True)
    admin = people["sysadmin"]
    act("submit", admin, id=dataset["id"])
    act("legal_opinion", admin, id=dataset["id"], opinion="favourable")
    with pytest.raises(helpers.logic.ValidationError):
        act("committee_decision", admin, id=dataset["id"], decision="validated")
    assert act("show", admin, id=dataset["id"])["state"] == "committee"
    assert model.Package.get(dataset["id"]).private is True


def test_queue_lists_what_waits_on_the_caller(people, dataset):
    act("submit", people["editor"], id=dataset["id"])
    assert [d["id"] for d in act("queue", people["legal"])] == [dataset["id"]]
    assert act("queue", people["committee"]) == []
    act("legal_opinion", people["legal"], id=dataset["id"], opinion="favourable")
    assert act("queue", people["legal"]) == []
    assert [d["state"] for d in act("queue", people["committee"])] == ["committee"]


def test_history_is_shown_to_members_and_reviewers_only(people, dataset):
    act("submit", people["editor"], id=dataset["id"])
    assert act("show", people["legal"], id=dataset["id"])["state"] == "submitted"
    with pytest.raises(helpers.logic.NotAuthorized):
        act("show", people["other"], id=dataset["id"])


def test_two_reviewers_deciding_at_once_leave_one_consistent_history(people, dataset):
    """Both committee members click at the same moment: one decision wins, the other is
    refused, and the history has exactly one decision."""
    act("submit", people["editor"], id=dataset["id"])
    act("legal_opinion", people["legal"], id=dataset["id"], opinion="favourable")
    second = member_of("comite-de-pilotage")
    model.Session.remove()
    results, barrier = {}, threading.Barrier(2)

    def decide(user, decision):
        from ckan.config.middleware import make_app  # noqa: F401 - the app is already configured
        barrier.wait()
        try:
            data = {"comment": "Non."} if decision == "rejected" else {}
            results[user["name"]] = act("committee_decision", user, id=dataset["id"], decision=decision, **data)["state"]
        except Exception as e:  # noqa: BLE001
            results[user["name"]] = type(e).__name__
        finally:
            model.Session.remove()

    threads = [threading.Thread(target=decide, args=(people["committee"], "validated")),
               threading.Thread(target=decide, args=(second, "rejected"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results.values()) in (["ValidationError", "published"], ["ValidationError", "draft"])
    decisions = model.Session.query(Review).filter_by(package_id=dataset["id"], transition="committee_decision").all()
    assert len(decisions) == 1
    assert act("show", people["sysadmin"], id=dataset["id"])["state"] == decisions[0].to_state


def test_refusals_are_in_french_through_the_api(app, people, dataset):
    token = ckan_factories.APIToken(user=people["legal"]["name"])["token"]
    response = app.post("/api/3/action/datasud_workflow_legal_opinion", headers={"Authorization": token},
                        json={"id": dataset["id"], "opinion": "favourable"}, status=None)
    assert response.status_code == 409
    assert response.json["error"]["state"] == [
        "Cette étape n'est pas possible maintenant : le jeu de données est « brouillon »."]


def test_changing_the_licence_of_a_published_dataset_needs_a_new_validation(people):
    dataset = factories.Dataset(owner_org=people["org"]["id"])
    assert model.Package.get(dataset["id"]).private is False
    helpers.call_action("package_patch", {"user": people["editor"]["name"]}, id=dataset["id"], title="Titre revu")
    assert act("show", people["editor"], id=dataset["id"])["state"] == "published"  # a small edit: still published
    helpers.call_action("package_patch", {"user": people["editor"]["name"]}, id=dataset["id"], license_id="odc-odbl")
    shown = act("show", people["editor"], id=dataset["id"])
    assert shown["state"] == "submitted" and model.Package.get(dataset["id"]).private is True
    assert shown["history"][-1]["transition"] == "revalidation"
    assert shown["history"][-1]["details"] == {"changed": ["license_id"]}
    assert [d["id"] for d in act("queue", people["legal"])] == [dataset["id"]]


def test_datasets_public_before_the_workflow_are_published(people, migrate_db_for):
    """Migration 0003 marks the datasets already public as published, the others stay drafts."""
    public = factories.Dataset(owner_org=people["org"]["id"])
    draft = factories.Dataset(owner_org=people["org"]["id"], private=True)
    model.Session.remove()
    migrate_db_for("datasud", version="0002_conventions", forward=False)
    migrate_db_for("datasud")
    assert act("show", people["sysadmin"], id=public["id"])["state"] == "published"
    assert act("show", people["sysadmin"], id=draft["id"])["state"] == "draft"


def test_notifications_are_sent_in_french_by_the_worker(people, celery_worker, worker_mailbox):
    import email.header
    import time as _time
    dataset = factories.Dataset(owner_org=people["org"]["id"], private=True, title="Cinémas notifiés")
    legal = model.User.get(people["legal"]["name"])
    legal.email = "juridique@example.org"
    editor = model.User.get(people["editor"]["name"])
    editor.email = "editeur@example.org"
    model.Session.commit()
    before = len(worker_mailbox.messages)
    act("submit", people["editor"], id=dataset["id"])
    act("legal_opinion", people["legal"], id=dataset["id"], opinion="favourable_with_reservations",
        comment="Anonymiser les noms.")
    def received() -> dict[str, list]:
        found: dict[str, list] = {}
        for m in worker_mailbox.messages[before:]:
            found.setdefault(str(email.header.make_header(email.header.decode_header(m["Subject"]))), []).append(m)
        return found

    def delivered() -> bool:
        # the mailbox is the session's: an earlier test's late e-mails may arrive meanwhile
        found = received()
        return (any("juridique@example.org" in m["To"] for m in found.get("[DataSud] À valider : Cinémas notifiés", []))
                and bool(found.get("[DataSud] Cinémas notifiés : en attente du comité de pilotage")))

    deadline = _time.time() + 60
    while _time.time() < deadline and not delivered():
        _time.sleep(0.2)
    by_subject = received()
    to_legal = by_subject["[DataSud] À valider : Cinémas notifiés"]
    assert any("juridique@example.org" in m["To"] for m in to_legal)  # every member of the legal group
    [to_editor] = by_subject["[DataSud] Cinémas notifiés : en attente du comité de pilotage"]
    assert "editeur@example.org" in to_editor["To"]
    assert "Anonymiser les noms." in to_editor.get_payload(decode=True).decode()
