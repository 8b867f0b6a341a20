"""Release 1 of the shop: customers, a catalogue, orders and their lines.

New tables are created whole in expand: no app version uses them yet, so nothing waits on a
lock. Constraints and indexes are part of each CREATE TABLE, because building them on an empty
table costs nothing; on a table with rows they would each get their own online operation.
Brings the schema to ``shop.v1``.
"""

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)

from zdmigrate import Migration, ops

migration = Migration(
    id="0001_initial",
    description="users, products, orders and order_items",
    operations=[
        ops.CreateTable(
            "users",
            Column("id", Integer, primary_key=True),
            Column("email", String(255), nullable=False),
            Column("full_name", String(200), nullable=False),
            Column(
                "created_at", DateTime, nullable=False, server_default=text("CURRENT_TIMESTAMP")
            ),
            UniqueConstraint("email", name="uq_users_email"),
        ),
        ops.CreateTable(
            "products",
            Column("id", Integer, primary_key=True),
            Column("sku", String(40), nullable=False),
            Column("name", String(200), nullable=False),
            Column("price", Integer, nullable=False),
            Column("description", Text),
            Column(
                "created_at", DateTime, nullable=False, server_default=text("CURRENT_TIMESTAMP")
            ),
            UniqueConstraint("sku", name="uq_products_sku"),
            UniqueConstraint("name", name="uq_products_name"),
        ),
        ops.CreateTable(
            "orders",
            Column("id", Integer, primary_key=True),
            Column(
                "user_id", Integer, ForeignKey("users.id", name="fk_orders_user"), nullable=False
            ),
            Column("status", String(20), nullable=False, server_default="pending"),
            Column("shipping_address", String(500), nullable=False),
            Column("coupon_code", String(40)),
            Column(
                "created_at", DateTime, nullable=False, server_default=text("CURRENT_TIMESTAMP")
            ),
            Index("ix_orders_user_id", "user_id"),
        ),
        ops.CreateTable(
            "order_items",
            Column("id", Integer, primary_key=True),
            Column(
                "order_id",
                Integer,
                ForeignKey("orders.id", name="fk_order_items_order", ondelete="CASCADE"),
                nullable=False,
            ),
            Column("product_id", Integer, nullable=False),
            Column("quantity", Integer, nullable=False),
            Column("unit_price", Integer, nullable=False),
        ),
    ],
)
