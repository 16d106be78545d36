"""Download counts: how many times each resource was downloaded through the portal
(folded from Redis counters by a Celery beat job), and the folds already applied.

Revision ID: 0006_download_counts
Revises: 0005_outbox
Create Date: 2026-12-02 05:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0006_download_counts"
down_revision = "0005_outbox"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "datasud_download_count",
        sa.Column("resource_id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("last_download", sa.DateTime),
    )
    op.create_index("idx_datasud_download_count_package", "datasud_download_count", ["package_id"])
    # One line per Redis hash folded: a fold that crashed after its commit and before
    # deleting the hash is not counted twice by the next one.
    op.create_table(
        "datasud_download_fold",
        sa.Column("key", sa.UnicodeText, primary_key=True),
        sa.Column("folded", sa.DateTime, nullable=False),
    )


def downgrade():
    op.drop_table("datasud_download_fold")
    op.drop_index("idx_datasud_download_count_package", table_name="datasud_download_count")
    op.drop_table("datasud_download_count")
