"""Validation workflow: each dataset's state, and the history of its transitions.

Revision ID: 0003_workflow
Revises: 0002_conventions
Create Date: 2026-11-23 00:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0003_workflow"
down_revision = "0002_conventions"
branch_labels = None
depends_on = None

STATES = "('draft', 'submitted', 'committee', 'commission', 'published', 'withdrawn')"


def upgrade():
    op.create_table(
        "datasud_workflow",
        sa.Column("package_id", sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("state", sa.UnicodeText, nullable=False, server_default="draft"),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("commission_vote_required", sa.UnicodeText),
        sa.Column("modified", sa.DateTime, nullable=False),
        sa.CheckConstraint(f"state in {STATES}", name="datasud_workflow_state"),
    )
    op.create_table(
        "datasud_review",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=False),
        sa.Column("transition", sa.UnicodeText, nullable=False),
        sa.Column("from_state", sa.UnicodeText, nullable=False),
        sa.Column("to_state", sa.UnicodeText, nullable=False),
        sa.Column("decision", sa.UnicodeText),
        sa.Column("comment", sa.UnicodeText, server_default=""),
        sa.Column("document_url", sa.UnicodeText, server_default=""),
        sa.Column("details", sa.UnicodeText),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.create_index("idx_datasud_review_package", "datasud_review", ["package_id", "created"])
    # Datasets already public when the workflow arrives were published before it: keep them so.
    op.execute("insert into datasud_workflow (package_id, state, version, modified) "
               "select id, 'published', 0, now() at time zone 'utc' from package "
               "where type = 'dataset' and state = 'active' and not private")


def downgrade():
    op.drop_index("idx_datasud_review_package", "datasud_review")
    op.drop_table("datasud_review")
    op.drop_table("datasud_workflow")
