"""UNSAFE on purpose: an order currency, NOT NULL with a Python-side default.

``default="EUR"`` is filled in by SQLAlchemy on the model's inserts, never by the database: the
ADD COLUMN ... NOT NULL fails on a table with rows, and the old app's inserts, which do not name
the column, would fail too. The safe form is ``server_default="EUR"``.

Revision ID: 4d1f3b7c8e04
Revises: 3c4e8a2f6b03
Create Date: 2026-11-16 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "4d1f3b7c8e04"
down_revision = "3c4e8a2f6b03"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("currency", sa.String(3), nullable=False, default="EUR"))


def downgrade() -> None:
    op.drop_column("orders", "currency")
