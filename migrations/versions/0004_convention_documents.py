"""Scanned conventions served by a view that checks who asks: the stored links move from
CKAN's public static route (``/uploads/conventions/<file>``) to
``/partenaires/conventions/document/<file>`` (the files stay where they are).

Revision ID: 0004_convention_documents
Revises: 0003_workflow
Create Date: 2026-12-02 02:10:00

"""
from alembic import op

revision = "0004_convention_documents"
down_revision = "0003_workflow"
branch_labels = None
depends_on = None

OLD, NEW = "/uploads/conventions/", "/partenaires/conventions/document/"


def _move(source: str, target: str) -> None:
    # Only our own links: scheme, host, an optional site root, the folder, one file name.
    op.execute(
        "update datasud_convention "
        f"set document_url = regexp_replace(document_url, '{source}([^/?#]+)$', '{target}\\1') "
        f"where document_url ~ '^https?://[^/]+(/[^?#]*)?{source}[^/?#]+$'"
    )


def upgrade():
    _move(OLD, NEW)


def downgrade():
    _move(NEW, OLD)
