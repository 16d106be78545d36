"""Demo data of DataSud: the Région Sud, a few partners and the datasets named in
the programme's documents. Loading is idempotent: what exists is left as it is."""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from werkzeug.datastructures import FileStorage

import ckan.model as model
import ckan.plugins.toolkit as tk

log = logging.getLogger(__name__)
HERE = Path(__file__).parent


def demo_content() -> dict[str, Any]:
    with open(HERE / "demo.json", encoding="utf-8") as f:
        return json.load(f)


def ensure_sysadmin(name: str, password: str | None, email: str) -> tuple[dict, bool]:
    """The sysadmin account; created (with ``password``) only when missing."""
    user = model.User.get(name)
    if user is not None:
        return {"name": user.name}, False
    if not password:
        raise tk.ValidationError({"password": ["a password is needed to create the sysadmin"]})
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    created = tk.get_action("user_create")(
        {"user": site_user["name"], "ignore_auth": True},
        {"name": name, "email": email, "password": password, "fullname": "Administrateur DataSud"},
    )
    user = model.User.get(created["id"])
    user.sysadmin = True
    model.Session.commit()
    return created, True


def load(sysadmin: str) -> dict[str, int]:
    """Create the demo organisations and datasets that do not exist yet."""
    content = demo_content()
    context = lambda: {"user": sysadmin, "ignore_auth": False}  # noqa: E731
    counts = {"organizations": 0, "conventions": 0, "datasets": 0, "resources": 0}

    for org in content["organizations"]:
        if model.Group.get(org["name"]) is None:
            tk.get_action("organization_create")(context(), dict(org))
            counts["organizations"] += 1

    from ckanext.datasud.model import Convention, PublicationOverride
    for convention in content.get("conventions", []):
        if model.Session.query(Convention).filter_by(reference=convention["reference"]).count() == 0:
            tk.get_action("datasud_convention_create")(context(), dict(convention))
            counts["conventions"] += 1
    for override in content.get("overrides", []):
        org = model.Group.get(override["organization_id"])
        if model.Session.get(PublicationOverride, org.id) is None:
            tk.get_action("datasud_publication_override_set")(context(), dict(override))

    for dataset in content["datasets"]:
        if model.Package.get(dataset["name"]) is not None:
            continue
        data = {k: v for k, v in dataset.items() if k not in ("resources", "tags")}
        data["tags"] = [{"name": t} for t in dataset.get("tags", [])]
        data.setdefault("license_id", "etalab-2.0")
        data["private"] = True  # published below, through the validation workflow
        created = tk.get_action("package_create")(context(), data)
        counts["datasets"] += 1
        for resource in dataset.get("resources", []):
            res = {k: v for k, v in resource.items() if k != "file"}
            res["package_id"] = created["id"]
            if "file" in resource:
                path = HERE / resource["file"]
                with open(path, "rb") as stream:
                    res["upload"] = FileStorage(stream=stream, filename=path.name,
                                                content_type="text/csv")
                    res["url"] = path.name
                    tk.get_action("resource_create")(context(), res)
            else:
                tk.get_action("resource_create")(context(), res)
            counts["resources"] += 1
        from ckanext.datasud.logic.workflow_action import publish_through_the_workflow
        publish_through_the_workflow(sysadmin, created["id"], "Données de démonstration.")
    return counts


def admin_password_from_env() -> str | None:
    return os.environ.get("DATASUD_ADMIN_PASSWORD") or None
