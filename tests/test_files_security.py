"""User files cannot script the portal (issue 10, item 3; CVE-2025-24372), scanned
conventions are served to the programme team and the partner's admins only (item 6),
crafted resource ids reach no file outside the storage (CVE-2023-32321), and download-mode
copies refuse internal addresses (CVE-2024-43371).

Real uploads through the actions (CKAN's ``create_with_upload``), real requests through
the app (``app``): what a browser would receive.
"""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.datasud.model import Convention
from tests import factories
from tests.conftest import ROOT, TEST_INI
from tests.harvesting import CatalogueServer, Page, allowed_hosts
from tests.test_browser import browser, demo_data, web_app  # noqa: F401 - fixtures
from tests.test_harvest_download import (  # noqa: F401 - eager and queue are fixtures
    EAU, File, FileServer, catalogue, download_source, eager, harvest, queue, resource)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

# A partner's file that, opened by a reviewer, would record a favourable legal opinion in
# the reviewer's name (the attack of issue 10, item 3).
EXPLOIT = b"""<!doctype html><html><body><h1>Annexe</h1><script>
fetch('/api/3/action/datasud_workflow_legal_opinion', {method: 'POST', credentials: 'include',
  headers: {'Content-Type': 'application/json'}, body: JSON.stringify({id: 'DATASET', opinion: 'favourable'})});
</script></body></html>"""
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>fetch("/api/3/action/datasud_workflow_legal_opinion", {method: "POST"})</script>'
       b'<rect width="10" height="10"/></svg>')
CSV = "commune;population\nNice;342669\nToulon;180452\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def token(user) -> dict:
    return {"Authorization": ckan_factories.APIToken(user=user["name"])["token"]}


def assert_cannot_script(response, disposition="attachment"):
    """The answer a browser gets for a user file: no sniffing, a sandbox, downloaded."""
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    csp = response.headers["Content-Security-Policy"]
    assert "sandbox" in [d.strip().split(" ")[0] for d in csp.split(";")], csp
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert response.headers["Content-Disposition"].split(";")[0] == disposition, response.headers


@pytest.fixture
def partner():
    """A partner's editor, a legal reviewer and a sysadmin; a submitted dataset."""
    editor, legal, sysadmin = ckan_factories.User(), ckan_factories.User(), ckan_factories.Sysadmin()
    ckan_factories.Group(name="service-juridique", users=[{"name": legal["name"], "capacity": "member"}])
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    dataset = factories.Dataset(owner_org=org["id"], private=True, title="Annexes du budget")
    return {"editor": editor, "legal": legal, "sysadmin": sysadmin, "org": org, "dataset": dataset}


def upload(create_with_upload, partner, data, filename, **fields):
    return create_with_upload(data, filename, context={"user": partner["editor"]["name"]},
                              package_id=partner["dataset"]["id"], name=filename, **fields)


def download_paths(dataset, resource) -> list[str]:
    base = f"/dataset/{dataset['id']}/resource/{resource['id']}/download"
    name = urlsplit(resource["url"]).path.rsplit("/", 1)[1]
    return [base, f"{base}/{name}", f"/en{base}/{name}", f"{base}/{name}?format=html",
            f"/dataset/{dataset['name']}/resource/{resource['id']}/download/autre-nom.html"]


# --- Item 3 / CVE-2025-24372: uploads are served so that they cannot script the portal ---------------

def test_an_uploaded_html_file_is_downloaded_sandboxed_never_rendered(create_with_upload, app, partner):
    resource = upload(create_with_upload, partner, EXPLOIT, "annexe.html")
    helpers.call_action("datasud_workflow_submit", {"user": partner["editor"]["name"]}, id=partner["dataset"]["id"])
    reviewer = token(partner["legal"])
    for path in download_paths(partner["dataset"], resource):
        response = app.get(path, headers=reviewer)
        assert response.status_code == 200, path
        assert response.get_data() == EXPLOIT  # the file itself, unchanged
        assert_cannot_script(response)
        assert response.headers["Content-Type"].startswith("text/html")  # the type, honestly, but downloaded
    # HEAD and Range requests leave with the same headers
    path = download_paths(partner["dataset"], resource)[1]
    head = app.test_client().head(path, headers=reviewer)
    assert head.status_code == 200
    assert_cannot_script(head)
    ranged = app.get(path, headers={**reviewer, "Range": "bytes=0-14"})
    assert ranged.status_code == 206 and ranged.get_data() == EXPLOIT[:15]
    assert_cannot_script(ranged)
    # a trailing slash serves no file, or the same hardened one
    for path in (download_paths(partner["dataset"], resource)[0] + "/", path + "/"):
        response = app.get(path, headers=reviewer, status=None)
        assert response.status_code in (200, 404), path
        if response.status_code == 200:
            assert_cannot_script(response)
        assert (EXPLOIT in response.get_data()) == (response.status_code == 200)
    # and nothing was decided in the reviewer's name
    shown = helpers.call_action("datasud_workflow_show", id=partner["dataset"]["id"])
    assert shown["state"] == "submitted"


def test_an_uploaded_svg_is_downloaded_sandboxed(create_with_upload, app, partner):
    resource = upload(create_with_upload, partner, SVG, "logo.svg")
    for path in download_paths(partner["dataset"], resource):
        response = app.get(path, headers=token(partner["sysadmin"]))
        assert response.status_code == 200
        assert_cannot_script(response)


@pytest.mark.parametrize("declared", ["text/html", "TEXT/HTML ", "application/xhtml+xml", "text/xml",
                                      "application/javascript", "image/svg+xml", "multipart/x-mixed-replace",
                                      "application/x-unknown-to-us"])
def test_any_declared_media_type_but_passive_ones_is_downloaded(create_with_upload, app, partner, declared):
    """The media type is what the uploader (or a remote server) declared: not trusted."""
    resource = upload(create_with_upload, partner, EXPLOIT, "donnees.csv", mimetype=declared)
    response = app.get(download_paths(partner["dataset"], resource)[1], headers=token(partner["sysadmin"]))
    assert response.status_code == 200
    assert_cannot_script(response)


@pytest.mark.parametrize("stored", ["text/csv, text/html", "text/csv;,text/html", "text", "text/csv text/html"])
def test_a_malformed_media_type_recorded_earlier_is_served_as_bytes(create_with_upload, app, partner, stored):
    """A type the actions refuse today but recorded before (or by another door): the
    browser would pick the last type of a list; it gets application/octet-stream."""
    resource = upload(create_with_upload, partner, EXPLOIT, "donnees.csv")
    model.Session.get(model.Resource, resource["id"]).mimetype = stored
    model.Session.commit()
    response = app.get(download_paths(partner["dataset"], resource)[1], headers=token(partner["sysadmin"]))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert_cannot_script(response)


def test_a_csv_file_containing_html_stays_harmless(create_with_upload, app, partner):
    resource = upload(create_with_upload, partner, EXPLOIT, "donnees.csv")
    response = app.get(download_paths(partner["dataset"], resource)[1], headers=token(partner["sysadmin"]))
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == "text/csv"  # passive: may show inline…
    assert_cannot_script(response, disposition="inline")  # …but never sniffed as HTML, and sandboxed


def test_csv_and_image_previews_keep_working(create_with_upload, app, partner):
    """text_view reads the file with XHR, image_view shows it with <img>: the file stays
    inline for passive types, and the views' pages render."""
    sysadmin = token(partner["sysadmin"])
    csv = upload(create_with_upload, partner, CSV, "population.csv")
    png = upload(create_with_upload, partner, PNG, "carte.png")
    for resource, view_type, media_type in ((csv, "text_view", "text/csv"), (png, "image_view", "image/png")):
        views = helpers.call_action("resource_view_list", id=resource["id"])
        if not any(v["view_type"] == view_type for v in views):
            helpers.call_action("resource_view_create", {"user": partner["sysadmin"]["name"]},
                                resource_id=resource["id"], view_type=view_type, title="Aperçu")
        (view,) = [v for v in helpers.call_action("resource_view_list", id=resource["id"])
                   if v["view_type"] == view_type]
        page = app.get(f"/dataset/{partner['dataset']['name']}/resource/{resource['id']}/view/{view['id']}",
                       headers=sysadmin)
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        assert resource["url"] in body  # the view points the browser at the file
        if view_type == "text_view":
            assert 'data-module="text_view"' in body
        else:
            assert re.search(r'<img[^>]+src="' + re.escape(resource["url"]), body)
        served = app.get(urlsplit(resource["url"]).path, headers=sysadmin)
        assert served.status_code == 200
        assert served.headers["Content-Type"].split(";")[0] == media_type
        assert served.headers["Content-Disposition"].startswith("inline")
        assert served.get_data() == (CSV.encode() if view_type == "text_view" else PNG)


def test_images_of_groups_organisations_and_users_cannot_script(create_with_upload, app, monkeypatch):
    sysadmin = ckan_factories.Sysadmin()
    with pytest.raises(tk.ValidationError):  # CKAN refuses SVG images by default…
        create_with_upload(SVG, "embleme.svg", context={"user": sysadmin["name"]}, action="group_create",
                           upload_field_name="image_upload", name="groupe-refuse")
    # …an operator may allow them (or a file may predate the rule): still harmless
    monkeypatch.setitem(tk.config, "ckan.upload.group.mimetypes", ["image/png", "image/svg+xml"])
    monkeypatch.setitem(tk.config, "ckan.upload.group.types", ["image"])
    group = create_with_upload(SVG, "embleme.svg", context={"user": sysadmin["name"]}, action="group_create",
                               upload_field_name="image_upload", name="groupe-svg")
    path = urlsplit(group["image_display_url"]).path
    assert path.startswith("/uploads/group/") and path.endswith("embleme.svg")
    name = path.rsplit("/", 1)[1]
    variants = [path, "/en" + path, "/uploads//group/" + name, "/uploads/./group/" + name,
                "/uploads/group/../group/" + name, "/uploads%2Fgroup%2F" + name]
    for variant in variants:
        response = app.get(variant)
        assert response.status_code == 200, variant
        assert response.get_data() == SVG
        assert_cannot_script(response)
        assert response.headers["Content-Disposition"] == f"attachment; filename={name}"
    assert_cannot_script(app.test_client().head(path))
    # a bitmap stays an image, shown inline, sandboxed
    org = create_with_upload(PNG, "logo.png", context={"user": sysadmin["name"]}, action="organization_create",
                             upload_field_name="image_upload", name="orga-png")
    png = app.get(urlsplit(org["image_display_url"]).path)
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    assert_cannot_script(png, disposition="inline")


def test_the_portal_own_static_files_are_left_alone(app):
    for path in ("/base/images/ckan.ico", "/datasud/logo.svg"):
        response = app.get(path)
        assert response.status_code == 200, path
        assert not response.headers.get("Content-Disposition", "").startswith("attachment")
        assert "sandbox" not in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- Item 6: scanned conventions, for the programme team and the partner's admins ------------------

@pytest.fixture
def conventions_world(create_with_upload, monkeypatch):
    """Two partners, each with an admin and a convention whose scan is stored on DataSud;
    the programme team (a group's member), a sysadmin, the partner's editor."""
    monkeypatch.setitem(tk.config, "ckanext.datasud.programme_team_group", "equipe-programme")
    sysadmin, team = ckan_factories.Sysadmin(), ckan_factories.User()
    ckan_factories.Group(name="equipe-programme", users=[{"name": team["name"], "capacity": "member"}])
    admin, editor, other_admin = ckan_factories.User(), ckan_factories.User(), ckan_factories.User()
    org = ckan_factories.Organization(users=[{"name": admin["name"], "capacity": "admin"},
                                             {"name": editor["name"], "capacity": "editor"}])
    other = ckan_factories.Organization(users=[{"name": other_admin["name"], "capacity": "admin"}])
    scans = {}
    for reference, owner in (("CONV-A", org), ("CONV-B", other)):
        convention = helpers.call_action(
            "datasud_convention_create", {"user": sysadmin["name"]}, organization_id=owner["id"],
            reference=reference, kind="partnership", status="in_force", starts_on="2024-01-15",
            document_upload=_file_storage(f"%PDF-1.4 {reference}".encode(), f"{reference.lower()}.pdf"))
        scans[reference] = convention
    users = {"anonymous": None, "sysadmin": sysadmin, "programme_team": team, "partner_admin": admin,
             "partner_editor": editor, "other_partner_admin": other_admin}
    return {"scans": scans, "users": users}


def _file_storage(data: bytes, name: str):
    from werkzeug.datastructures import FileStorage
    return FileStorage(io.BytesIO(data), name)


def _as(user) -> dict:
    return token(user) if user else {}


ALLOWED_TO_READ_CONV_A = {"sysadmin", "programme_team", "partner_admin"}


def test_scanned_conventions_are_served_to_the_programme_team_and_the_partner_admins_only(
        conventions_world, app):
    convention = conventions_world["scans"]["CONV-A"]
    url = convention["document_url"]
    assert re.fullmatch(r"http://[^/]+/partenaires/conventions/document/[-0-9.]*conv-a\.pdf", url)
    path = urlsplit(url).path
    name = path.rsplit("/", 1)[1]
    for role, user in conventions_world["users"].items():
        response = app.get(path, headers=_as(user), status=None)
        if role in ALLOWED_TO_READ_CONV_A:
            assert response.status_code == 200, role
            assert response.get_data() == b"%PDF-1.4 CONV-A"
            assert_cannot_script(response, disposition="inline")  # a PDF, shown, sandboxed
        else:
            assert response.status_code == 403, role
            assert b"CONV-A" not in response.get_data()
        # the storage's public route serves it to no one; old links lead the allowed to the view
        for legacy in (f"/uploads/conventions/{name}", f"/en/uploads/conventions/{name}",
                       f"/uploads//conventions/{name}", f"/uploads/./conventions/{name}",
                       f"/uploads/group/../conventions/{name}", f"/uploads%2Fconventions%2F{name}",
                       f"/uploads/conventions/{name.replace('.', '%2E')}"):
            response = app.get(legacy, headers=_as(user), status=None, follow_redirects=False)
            assert b"CONV-A" not in response.get_data(), (role, legacy)
            if role in ALLOWED_TO_READ_CONV_A:
                assert response.status_code == 302, (role, legacy)
                assert urlsplit(response.headers["Location"]).path in (path, "/en" + path)
            else:
                assert response.status_code == 404, (role, legacy)
    # an admin of the other partner reads his own convention, not this one
    own = urlsplit(conventions_world["scans"]["CONV-B"]["document_url"]).path
    other_admin = _as(conventions_world["users"]["other_partner_admin"])
    assert app.get(own, headers=other_admin).get_data() == b"%PDF-1.4 CONV-B"
    # crafted names reach nothing else in the storage
    for crafted in ("..%2F..%2Fresources", "%2E%2E", "..", name + "%00"):
        response = app.get(f"/partenaires/conventions/document/{crafted}", headers=_as(conventions_world["users"]
                                                                                     ["sysadmin"]), status=None)
        assert response.status_code == 404, crafted


def test_the_migration_moves_the_stored_links_to_the_view(conventions_world, app):
    """Conventions recorded before (``/uploads/conventions/<file>``) get the view's URL from
    migration 0004, applied as ``ckan db upgrade -p datasud`` applies it."""
    a = conventions_world["scans"]["CONV-A"]
    name = urlsplit(a["document_url"]).path.rsplit("/", 1)[1]
    old = f"http://127.0.0.1:5000/uploads/conventions/{name}"
    external = "https://ged.maregionsud.fr/uploads/conventions/2024-042.pdf"  # another site's folder
    ckan_db("downgrade", "-p", "datasud", "--version", "0003_workflow")
    model.Session.remove()
    convention = model.Session.get(Convention, a["id"])
    assert convention.document_url == old  # downgrade gives back the old links
    b = model.Session.get(Convention, conventions_world["scans"]["CONV-B"]["id"])
    b.document_url = external
    model.Session.commit()
    ckan_db("upgrade", "-p", "datasud")
    model.Session.remove()
    assert model.Session.get(Convention, a["id"]).document_url == \
        f"http://127.0.0.1:5000/partenaires/conventions/document/{name}"
    assert model.Session.get(Convention, b.id).document_url == external  # other sites' links untouched
    admin = _as(conventions_world["users"]["partner_admin"])
    assert app.get(f"/partenaires/conventions/document/{name}", headers=admin).get_data() == b"%PDF-1.4 CONV-A"


def ckan_db(*args: str) -> None:
    model.Session.remove()
    done = subprocess.run([str(Path(sys.executable).parent / "ckan"), "-c", str(TEST_INI), "db", *args],
                          cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, CKAN_INI=str(TEST_INI)))
    assert done.returncode == 0, done.stderr[-3000:]


# --- Download mode: partners' files copied to DataSud keep no power over the portal ------------------

def test_harvested_copies_cannot_script_the_portal(eager, queue, app):
    """A partner's server answers text/html (or SVG) for its data files: the copies keep
    that media type, and are served like uploads: downloaded, sandboxed, not sniffed."""
    partner = {"org": factories.Organization(), "sysadmin": ckan_factories.Sysadmin()}
    with FileServer() as files, allowed_hosts(files.host):
        files.files["/catalogue.ttl"] = catalogue(files, eau="/files/annexe.html", pistes="/files/carte.svg")
        files.files["/files/annexe.html"] = File(EXPLOIT, "text/html; charset=utf-8")
        files.files["/files/carte.svg"] = File(SVG, "image/svg+xml")
        files.files["/files/plages.csv"] = File(EXPLOIT, "text/html")  # a .csv the server calls HTML
        source = download_source(partner, files)
        harvest(source)
        eager.run_queued(queue)
    sysadmin = token(partner["sysadmin"])
    copies = [resource(source, EAU), resource(source, "Pistes cyclables"), resource(source, "Fréquentation des plages")]
    assert [c["url_type"] for c in copies] == ["upload"] * 3
    assert copies[0]["mimetype"] == "text/html" and copies[1]["mimetype"] == "image/svg+xml"
    for copy in copies:
        response = app.get(urlsplit(copy["url"]).path, headers=sysadmin)
        assert response.status_code == 200
        assert response.get_data() in (EXPLOIT, SVG)
        assert_cannot_script(response)


# --- CVE-2024-43371: no copy from internal addresses ---------------------------------------------------

def test_cve_2024_43371_a_file_attached_by_url_is_never_fetched_from_an_internal_address(eager, queue):
    """« Par URL, copiée et tenue à jour »: DataSud's worker fetches the URL a partner gives.
    Loopback, private, link-local (cloud metadata) addresses, in every spelling, and
    redirects to them, are refused before any connection; the server is never reached."""
    editor = ckan_factories.User()
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    dataset = factories.Dataset(owner_org=org["id"], private=True)
    with FileServer() as internal, CatalogueServer() as public:
        internal.files["/secret.csv"] = File(b"secret;1\n", "text/csv")
        port = internal.port
        # the one server the test lets DataSud reach, redirecting to the internal one
        public.pages["/redirige.csv"] = Page(b"", "text/csv", status=302,
                                             headers={"Location": f"http://127.0.0.1:{port}/secret.csv"})
        targets = [f"http://127.0.0.1:{port}/secret.csv", f"http://localhost:{port}/secret.csv",
                   f"http://[::1]:{port}/secret.csv", f"http://2130706433:{port}/secret.csv",
                   f"http://0x7f.1:{port}/secret.csv", f"http://[::ffff:127.0.0.1]:{port}/secret.csv",
                   f"http://127.1:{port}/secret.csv", "http://169.254.169.254/latest/meta-data/iam",
                   "http://10.0.0.1/export.csv", f"http://0.0.0.0:{port}/secret.csv", public.url("/redirige.csv")]
        with allowed_hosts(public.host):
            created = [helpers.call_action("resource_create", {"user": editor["name"]}, package_id=dataset["id"],
                                           url=url, name=f"copie {i}", copy_mode="copy")
                       for i, url in enumerate(targets)]
            eager.run_queued(queue)
        assert internal.hits == []
    model.Session.remove()
    for url, res in zip(targets, created):
        res = helpers.call_action("resource_show", id=res["id"])
        assert res["url_type"] != "upload" and res["url"] == url, url
        assert res["copy_status"] == "failed", url
        assert res["copy_error"].startswith("Adresse refusée"), (url, res["copy_error"])


# --- CVE-2023-32321: crafted resource ids reach no file outside the storage ----------------------------

CRAFTED_IDS = ["../../../../../../tmp/datasud-escape", "/etc/passwd", "%2e%2e%2f%2e%2e%2fdatasud-escape",
               "..\\..\\datasud-escape", "abcdef/../../../../datasud-escape",
               "00000000-0000-0000-0000-000000000000/../../datasud-escape"]


@pytest.mark.parametrize("crafted", CRAFTED_IDS)
def test_cve_2023_32321_crafted_resource_ids_are_refused(create_with_upload, app, partner, crafted, tmp_path):
    """Resource ids become storage paths (``resources/<id[:3]>/<id[3:6]>/<id[6:]>``): an
    id that is not a UUID is refused by every door that takes one (resource_create,
    package_create/update with resources, the download-mode copies write at the id CKAN
    stored), and the download URL answers 404 for it."""
    sysadmin = {"user": partner["sysadmin"]["name"]}
    with pytest.raises(tk.ValidationError):
        create_with_upload(EXPLOIT, "escape.html", context=sysadmin, package_id=partner["dataset"]["id"],
                           id=crafted)
    with pytest.raises(tk.ValidationError):
        helpers.call_action("package_update", sysadmin, **{**helpers.call_action("package_show",
                            id=partner["dataset"]["id"]), "resources": [{"id": crafted, "url": "http://x.fr/a.csv"}]})
    assert not list(Path("/tmp").glob("datasud-escape*")) and not Path("/etc/passwd-escape").exists()
    storage = Path(tk.config["ckan.storage_path"]).resolve()
    for path in storage.rglob("*"):
        assert path.resolve().is_relative_to(storage)
    quoted = crafted.replace("/", "%2F")
    for url in (f"/dataset/{partner['dataset']['id']}/resource/{quoted}/download",
                f"/dataset/{partner['dataset']['id']}/resource/{quoted}/download/passwd"):
        response = app.get(url, headers=token(partner["sysadmin"]), status=None)
        assert response.status_code == 404, url
        assert b"root:" not in response.get_data()


# --- In a real browser: the reviewer opens the partner's files, nothing is decided in his name ---------

# What a real attacker's page does: read the reviewer's validation form (its CSRF token
# included) and post a favourable opinion with the reviewer's session.
BROWSER_EXPLOIT = """<!doctype html><html><head><title>annexe</title></head><body><h1>Annexe</h1><script>
document.title = 'exploit-ran';
fetch('/dataset/NAME/validation', {credentials: 'include'}).then(r => r.text()).then(html => {
  const form = new DOMParser().parseFromString(html, 'text/html').querySelector('#transition-legal_opinion');
  const data = new URLSearchParams(new FormData(form));
  data.set('opinion', 'favourable');
  return fetch('/dataset/NAME/validation', {method: 'POST', body: data, credentials: 'include'});
}).then(() => { document.title = 'exploit-done'; });
</script></body></html>"""


@pytest.mark.browser
def test_in_a_browser_the_reviewer_opens_partner_files_and_decides_nothing(demo_data, web_app, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from werkzeug.datastructures import FileStorage
    from tests.test_browser_workflow import PASSWORD, login

    editor = ckan_factories.User(name="editrice-fichiers", password=PASSWORD)
    helpers.call_action("organization_member_create", id="ville-de-marseille", username=editor["name"],
                        role="editor")
    legal = ckan_factories.User(name="juriste-fichiers", password=PASSWORD)
    ckan_factories.Group(name="service-juridique", users=[{"name": legal["name"], "capacity": "member"}])
    dataset = factories.Dataset(owner_org="ville-de-marseille", private=True, name="annexes-budget",
                                title="Annexes du budget")
    exploit = BROWSER_EXPLOIT.replace("NAME", dataset["name"]).encode()
    files = {name: helpers.call_action("resource_create", {"user": editor["name"]}, package_id=dataset["id"],
                                       name=name, upload=FileStorage(io.BytesIO(data), name))
             for name, data in (("annexe.html", exploit), ("annexe.svg", SVG), ("annexe.csv", exploit),
                                ("annexe.xhtml", exploit))}
    helpers.call_action("datasud_workflow_submit", {"user": editor["name"]}, id=dataset["id"])

    login(browser, web_app, legal["name"])
    browser.get(f"{web_app}/dataset/{dataset['name']}/validation")
    assert browser.find_elements(By.ID, "transition-legal_opinion")  # the reviewer could decide
    for name, resource in files.items():
        browser.get(f"{web_app}{urlsplit(resource['url']).path}")
        # the page's scripts would have run by the time the page is loaded: they did not
        assert browser.title not in ("exploit-ran", "exploit-done"), name
        assert "exploit-ran" not in browser.execute_script("return document.title"), name
    model.Session.remove()
    shown = helpers.call_action("datasud_workflow_show", id=dataset["id"])
    assert shown["state"] == "submitted"
    assert [h["transition"] for h in shown["history"]] == ["submit"]
