"""The producer box of a dataset page, without ``organization_show`` (issue 14, item 5).

CKAN's dataset page asks ``organization_show`` for the dataset's organisation, which
counts the organisation's datasets in Solr, its followers and its members; and CKAN's
page layout renders the sidebar twice (once to see whether it is empty), so twice per
page: a third of a DataSud dataset page's time at 2,000 datasets. The box shows none of
those counts: the organisation's name, title, description and logo. They are read here
from the database (the ``Group`` row, by its id, usually already in the session), so the
box is as current as ``organization_show`` would make it and needs no Solr (it also
renders when Solr is unreachable, as degraded.py wants). An organisation that is not
active gives no box, as ``organization_show`` would refuse it to a visitor.
"""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk

__all__ = ["producer_of"]


def producer_of(pkg: dict[str, Any]) -> dict[str, Any]:
    """``pkg``'s organisation for the producer box: name, title, type, description,
    image_url and image_display_url (as CKAN's ``group_dictize`` makes it)."""
    organization = pkg.get("organization") or {}
    group = model.Group.get(organization.get("id") or "") if organization.get("id") else None
    if group is None or group.state != "active" or not group.is_organization:
        return {}
    image_url = group.image_url or ""
    display = image_url
    if image_url and not image_url.startswith("http"):
        display = tk.h.url_for_static(f"uploads/group/{image_url}", qualified=True)
    return {"id": group.id, "name": group.name, "title": group.title, "type": group.type,
            "description": group.description, "image_url": image_url, "image_display_url": display,
            "is_organization": True, "state": group.state}
