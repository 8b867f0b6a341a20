"""zdmigrate revision: orders by status, built without blocking writes on either server.

``op.zd_create_index`` is CREATE INDEX CONCURRENTLY on PostgreSQL (outside any transaction, an
invalid leftover of a failed build found and built again) and ALGORITHM=INPLACE, LOCK=NONE on
MariaDB, under the lock timeout with retries.

Revision ID: 9c6e2f4a5b09
Revises: 8b5d1e3f4a08
Create Date: 2026-11-26 10:00:00
"""

from alembic import op

import zdmigrate.alembic  # noqa: F401  (op.zd_*)

revision = "9c6e2f4a5b09"
down_revision = "8b5d1e3f4a08"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.zd_create_index("ix_orders_status", "orders", ["status"])


def downgrade() -> None:
    op.zd_rollback()
