"""A phone number for users. Safe: a nullable column with no default is a catalogue change.

Revision ID: 2b7d9c1e5a02
Revises: 1a0c2e7f4b01
Create Date: 2026-11-09 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "2b7d9c1e5a02"
down_revision = "1a0c2e7f4b01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("phone", sa.String(40), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "phone")
