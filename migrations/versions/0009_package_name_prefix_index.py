"""An index for the names of harvested datasets (``harvesting/names.py``): the names
starting with a record's ideal name, looked up once per gathered record with ``LIKE
'ideal%'``. The primary key and CKAN's unique index on ``package.name`` use the
database's collation, which a ``LIKE`` prefix cannot use (unless the collation is C):
``text_pattern_ops`` compares character by character, so a prefix is a range of it.

Revision ID: 0009_package_name_prefix
Revises: 0008_guid_index
Create Date: 2026-12-06 19:55:00

"""
from alembic import op

revision = "0009_package_name_prefix"
down_revision = "0008_guid_index"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("create index if not exists idx_datasud_package_name_prefix on package "
               "(name text_pattern_ops)")


def downgrade():
    op.execute("drop index if exists idx_datasud_package_name_prefix")
