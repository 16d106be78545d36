"""Prints, as JSON, what a DataSud instance holds, read through CKAN's actions: every
dataset (package_show), its workflow state and history, the conventions, the checksum of
every uploaded file, and search results. Used by tests/test_backup.py to compare an
instance with the one restored from its backup:

    python tests/catalogue_snapshot.py CKAN_INI
"""
from __future__ import annotations

import hashlib
import json
import os
import sys


def sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def snapshot(ini: str) -> dict:
    from ckan.cli import CKANConfigLoader
    from ckan.config.middleware import make_app

    app = make_app(CKANConfigLoader(ini).get_config())
    import ckan.model as model
    import ckan.plugins.toolkit as tk
    from ckan.lib.uploader import get_resource_uploader, get_storage_path
    from ckanext.datasud.backup import REGENERATED

    with app._wsgi_app.test_request_context():
        site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]

        def call(action, **data):
            return tk.get_action(action)({"user": site_user, "ignore_auth": True}, data)

        ids = [row.id for row in model.Session.query(model.Package.id).filter(
            model.Package.state == "active", model.Package.type == "dataset")]
        datasets, workflows, files = {}, {}, {}
        for dataset_id in ids:
            dataset = call("package_show", id=dataset_id)
            datasets[dataset["name"]] = dataset
            workflows[dataset["name"]] = call("datasud_workflow_show", id=dataset_id)
            for resource in dataset["resources"]:
                if resource.get("url_type") == "upload":
                    files[resource["id"]] = sha256(get_resource_uploader(resource).get_path(resource["id"]))
        storage = get_storage_path()
        tree = {}
        for root, dirs, names in os.walk(storage):
            dirs[:] = [d for d in dirs if not (root == storage and d in REGENERATED)]
            for name in names:
                path = os.path.join(root, name)
                tree[os.path.relpath(path, storage)] = sha256(path)

        def search(**query):
            result = call("package_search", include_private=True, rows=1000, sort="name asc", **query)
            return {"count": result["count"], "names": [d["name"] for d in result["results"]]}

        return {
            "datasets": datasets,
            "workflows": workflows,
            "conventions": call("datasud_convention_list"),
            "uploaded_files": files,
            "storage": tree,
            "search": {"all": search(q="*:*"), "lycees": search(q="lycées"),
                       "private": search(fq="capacity:private"), "published": search(fq="capacity:public")},
        }


if __name__ == "__main__":
    json.dump(snapshot(sys.argv[1]), sys.stdout, sort_keys=True, default=str)
