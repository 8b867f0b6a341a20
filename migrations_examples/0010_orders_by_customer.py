"""Release 4: "my orders, newest first" reads orders by customer and date.

A composite index on ``(user_id, created_at)`` is built online (CONCURRENTLY on PostgreSQL,
``ALGORITHM=INPLACE, LOCK=NONE`` on MySQL/MariaDB). It also serves every lookup by ``user_id``
alone, so the old single-column index is dropped — in contract, so release 3's queries keep an
index until the new one exists. On MySQL/MariaDB the composite index also serves the foreign
key on ``user_id``, which is what lets the old one go.
"""

from zdmigrate import Migration, ops

migration = Migration(
    id="0010_orders_by_customer",
    description="index orders by (user_id, created_at), drop ix_orders_user_id",
    operations=[
        ops.CreateIndex("ix_orders_user_id_created_at", "orders", ["user_id", "created_at"]),
        ops.DropIndex("ix_orders_user_id", "orders"),
    ],
)
