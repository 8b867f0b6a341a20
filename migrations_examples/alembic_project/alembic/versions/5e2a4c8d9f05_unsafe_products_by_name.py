"""UNSAFE on purpose: an index built in the revision's transaction, without CONCURRENTLY.

On PostgreSQL, CREATE INDEX holds a SHARE lock on products, which blocks every write to it for
as long as the build takes. The safe form is revision 3c4e8a2f6b03's.

Revision ID: 5e2a4c8d9f05
Revises: 4d1f3b7c8e04
Create Date: 2026-11-19 09:00:00
"""

from alembic import op

revision = "5e2a4c8d9f05"
down_revision = "4d1f3b7c8e04"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_products_name", "products", ["name"])


def downgrade() -> None:
    op.drop_index("ix_products_name", "products")
