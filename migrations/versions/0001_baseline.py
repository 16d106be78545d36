"""DataSud baseline: the point every DataSud table migration starts from.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-11-22 23:00:00

"""

# revision identifiers, used by Alembic.
revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    """Nothing to create: CKAN's own tables come from `ckan db init`."""


def downgrade():
    """Nothing to drop."""
