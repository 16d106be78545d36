"""Partner conventions, their end-of-term reminders, and publication overrides.

Revision ID: 0002_conventions
Revises: 0001_baseline
Create Date: 2026-11-22 23:55:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0002_conventions"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "datasud_convention",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("organization_id", sa.UnicodeText, sa.ForeignKey("group.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reference", sa.UnicodeText, nullable=False, unique=True),
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.Column("status", sa.UnicodeText, nullable=False, server_default="draft"),
        sa.Column("signed_on", sa.Date),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date),
        sa.Column("signatories", sa.UnicodeText, server_default=""),
        sa.Column("document_url", sa.UnicodeText, server_default=""),
        sa.Column("scope_notes", sa.UnicodeText, server_default=""),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.UnicodeText),
        sa.Column("modified", sa.DateTime, nullable=False),
        sa.Column("modified_by", sa.UnicodeText),
        sa.CheckConstraint("kind in ('partnership', 'data_opening_support', 'harvesting')",
                           name="datasud_convention_kind"),
        sa.CheckConstraint("status in ('draft', 'in_force', 'suspended', 'expired', 'terminated')",
                           name="datasud_convention_status"),
        sa.CheckConstraint("ends_on is null or ends_on >= starts_on", name="datasud_convention_dates"),
    )
    op.create_index("idx_datasud_convention_org", "datasud_convention", ["organization_id"])
    op.create_table(
        "datasud_convention_notice",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("convention_id", sa.UnicodeText, sa.ForeignKey("datasud_convention.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("days_before", sa.Integer, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("sent", sa.DateTime, nullable=False),
        sa.UniqueConstraint("convention_id", "days_before", "ends_on"),
    )
    op.create_table(
        "datasud_publication_override",
        sa.Column("organization_id", sa.UnicodeText, sa.ForeignKey("group.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("reason", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.UnicodeText, nullable=False),
    )


def downgrade():
    op.drop_table("datasud_publication_override")
    op.drop_table("datasud_convention_notice")
    op.drop_index("idx_datasud_convention_org", "datasud_convention")
    op.drop_table("datasud_convention")
