"""Scanned conventions served by a view that checks who asks: the stored links move from
CKAN's public static route (``/uploads/conventions/<file>``) to
``/partenaires/conventions/document/<file>`` (the files stay where they are).

A link is ours, and moved, when its file is in DataSud's storage or its host is the
portal's (``ckan.site_url``); links to other sites are left as they are.

Revision ID: 0004_convention_documents
Revises: 0003_workflow
Create Date: 2026-12-02 02:10:00

"""
import os
import re
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from alembic import op

revision = "0004_convention_documents"
down_revision = "0003_workflow"
branch_labels = None
depends_on = None

OLD, NEW = "/uploads/conventions/", "/partenaires/conventions/document/"


def _ours(url: str, name: str) -> bool:
    from ckan.common import config

    site = urlsplit(config.get("ckan.site_url") or "")
    if site.netloc and urlsplit(url).netloc == site.netloc:
        return True
    storage = config.get("ckan.storage_path")
    return bool(storage) and os.path.isfile(os.path.join(storage, "storage", "uploads", "conventions", name))


def _move(source: str, target: str) -> None:
    from ckan.common import config

    pattern = re.compile(r"^https?://[^/?#]+(?:/[^?#]*)?" + re.escape(source) + r"([^/?#]+)$")
    site = (config.get("ckan.site_url") or "").rstrip("/")
    bind = op.get_bind()
    table = sa.table("datasud_convention", sa.column("id", sa.UnicodeText), sa.column("document_url", sa.UnicodeText))
    rows = bind.execute(sa.select(table.c.id, table.c.document_url)
                        .where(table.c.document_url.like("%" + source + "%"))).fetchall()
    for row_id, url in rows:
        match = pattern.match(url or "")
        name = unquote(match.group(1)) if match else ""
        if not name or name in (".", "..") or not _ours(url, name):
            continue
        base = site or url[:match.start(1) - len(source)]
        bind.execute(table.update().where(table.c.id == row_id)
                     .values(document_url=base + target + match.group(1)))


def upgrade():
    _move(OLD, NEW)


def downgrade():
    _move(NEW, OLD)
