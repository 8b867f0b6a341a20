"""Not recorded on purpose: it reads the database to decide what to do.

``zdmigrate plan`` records revisions offline; this one needs a connection (op.get_bind()), so it
is reported as not recorded (ZD501), and the revisions after it are still planned.

Revision ID: 7a4c6e0f1b07
Revises: 6f3b5d9e0a06
Create Date: 2026-11-24 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "7a4c6e0f1b07"
down_revision = "6f3b5d9e0a06"
branch_labels = None
depends_on = None


def upgrade() -> None:
    statuses = op.get_bind().execute(sa.text("SELECT DISTINCT status FROM orders")).scalars()
    if "cancelled" not in set(statuses):
        op.execute("UPDATE orders SET status = 'pending' WHERE status = ''")


def downgrade() -> None:
    pass
