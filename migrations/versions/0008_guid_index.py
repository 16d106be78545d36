"""An index for the harvesters' identity check: the datasets carrying a ``guid`` extra
(``harvesting/records.py``, ``guid_held_elsewhere``), looked up once per imported
record. Without it every lookup read the whole ``package_extra`` table (about 12 rows
per dataset: 240,000 rows at 20,000 datasets). A hash index, partial on ``key = 'guid'``:
equality is all the lookup needs, and a hash index takes values of any length (a
B-tree refuses keys above ~2.7 kB, which would make a dataset with a very long
identifier fail to save).

Revision ID: 0008_guid_index
Revises: 0007_reuses
Create Date: 2026-12-02 16:45:00

"""
from alembic import op

revision = "0008_guid_index"
down_revision = "0007_reuses"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("create index if not exists idx_datasud_package_extra_guid on package_extra "
               "using hash (value) where key = 'guid'")


def downgrade():
    op.execute("drop index if exists idx_datasud_package_extra_guid")
