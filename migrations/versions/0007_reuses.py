"""Reuses (« réutilisations »): declared by users, moderated by the programme team,
linked to the datasets they use.

Revision ID: 0007_reuses
Revises: 0006_download_counts
Create Date: 2026-12-02 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0007_reuses"
down_revision = "0006_download_counts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "datasud_reuse",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("description", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("url", sa.UnicodeText, nullable=False),
        sa.Column("reuse_type", sa.UnicodeText, nullable=False),
        sa.Column("image_url", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("state", sa.UnicodeText, nullable=False, server_default="pending"),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("moderated_by", sa.UnicodeText),
        sa.Column("moderated", sa.DateTime),
        sa.Column("rejection_reason", sa.UnicodeText, nullable=False, server_default=""),
        sa.CheckConstraint("state in ('pending', 'published', 'rejected')", name="datasud_reuse_state"),
    )
    op.create_index("idx_datasud_reuse_state", "datasud_reuse", ["state", "moderated"])
    op.create_table(
        "datasud_reuse_dataset",
        sa.Column("reuse_id", sa.UnicodeText, sa.ForeignKey("datasud_reuse.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("package_id", sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"),
                  primary_key=True),
    )
    op.create_index("idx_datasud_reuse_dataset_package", "datasud_reuse_dataset", ["package_id"])


def downgrade():
    op.drop_index("idx_datasud_reuse_dataset_package", table_name="datasud_reuse_dataset")
    op.drop_table("datasud_reuse_dataset")
    op.drop_index("idx_datasud_reuse_state", table_name="datasud_reuse")
    op.drop_table("datasud_reuse")
