"""zdmigrate revision: products.name becomes title, and price NUMERIC(12, 2), online.

``op.zd_*`` are zdmigrate's operations. ``alembic upgrade`` runs their expand (a title column
and a NUMERIC price beside the old ones, kept in step both ways by triggers) and their backfill
(batched, throttled), while the old app keeps writing name and integer prices; the new app is
deployed after it. ``zdmigrate run contract alembic.ini`` drops the old columns once the old app
is gone. ``alembic downgrade`` before that undoes it all, losing nothing either app wrote.

Revision ID: 8b5d1e3f4a08
Revises: 7a4c6e0f1b07
Create Date: 2026-11-26 09:00:00
"""

import sqlalchemy as sa
from alembic import op

import zdmigrate.alembic  # noqa: F401  (op.zd_*)

revision = "8b5d1e3f4a08"
down_revision = "7a4c6e0f1b07"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.zd_rename_column("products", "name", "title")
    op.zd_change_column_type(
        "products",
        "price",
        sa.Numeric(12, 2),
        up="CAST(price AS DECIMAL(12, 2))",
        down="ROUND(price)",
    )


def downgrade() -> None:
    op.zd_rollback()
