"""Outbox: background tasks that could not be queued while Redis was down, kept until
they are queued.

Revision ID: 0005_outbox
Revises: 0004_convention_documents
Create Date: 2026-12-02 02:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0005_outbox"
down_revision = "0004_convention_documents"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "datasud_outbox",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("task", sa.UnicodeText, nullable=False),
        sa.Column("arguments", sa.UnicodeText, nullable=False),
        sa.Column("queue", sa.UnicodeText),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.UnicodeText, server_default=""),
    )
    op.create_index("idx_datasud_outbox_created", "datasud_outbox", ["created"])


def downgrade():
    op.drop_index("idx_datasud_outbox_created", table_name="datasud_outbox")
    op.drop_table("datasud_outbox")
