"""UNSAFE on purpose: a rename and a type change in place, in a batch.

The old app, still serving while the revision runs, reads ``users.email``: the rename breaks it
at once. Widening ``quantity`` to BIGINT rewrites order_items under an ACCESS EXCLUSIVE lock
(PostgreSQL) or a copying ALTER (MariaDB). The safe forms are zdmigrate's RenameColumn and
ChangeColumnType, which keep both columns in step until the old app is gone.

Revision ID: 6f3b5d9e0a06
Revises: 5e2a4c8d9f05
Create Date: 2026-11-23 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "6f3b5d9e0a06"
down_revision = "5e2a4c8d9f05"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.alter_column("email", new_column_name="email_address", existing_type=sa.String(255))
    op.alter_column("order_items", "quantity", type_=sa.BigInteger, existing_type=sa.Integer)


def downgrade() -> None:
    op.alter_column("order_items", "quantity", type_=sa.Integer, existing_type=sa.BigInteger)
    with op.batch_alter_table("users") as batch:
        batch.alter_column("email_address", new_column_name="email", existing_type=sa.String(255))
