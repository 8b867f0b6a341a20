"""Orders by date. Safe: built CONCURRENTLY on PostgreSQL, outside the revision's transaction
(an autocommit block); MariaDB builds an index in place, without blocking writes.

Revision ID: 3c4e8a2f6b03
Revises: 2b7d9c1e5a02
Create Date: 2026-11-12 09:00:00
"""

from alembic import op

revision = "3c4e8a2f6b03"
down_revision = "2b7d9c1e5a02"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_orders_created_at",
            "orders",
            ["created_at"],
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("ix_orders_created_at", "orders", postgresql_concurrently=True)
