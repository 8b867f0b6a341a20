"""The shop app's models at the versions that overlap while a revision deploys: ``old`` and
``new`` around 6f3b5d9e0a06 (``users.email`` → ``email_address``, in place: unsafe), ``new``
and ``titled`` around 8b5d1e3f4a08 (``products.name`` → ``title`` and ``price`` NUMERIC, by
zdmigrate: both work throughout).

    zdmigrate plan migrations_examples/alembic_project/alembic.ini --range 5e2a:6f3b \\
        --old-app migrations_examples.alembic_project.app:old \\
        --new-app migrations_examples.alembic_project.app:new
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
)
from sqlalchemy.types import TypeEngine


def _models(
    email: str, quantity: type[Integer], title: str = "name", price: TypeEngine[Any] | None = None
) -> MetaData:
    metadata = MetaData()
    Table(
        "users",
        metadata,
        Column("id", Integer, primary_key=True),
        Column(email, String(255), nullable=False, unique=True),
        Column("full_name", String(200), nullable=False),
        Column("phone", String(40)),
        Column("created_at", DateTime, nullable=False, server_default="CURRENT_TIMESTAMP"),
    )
    Table(
        "products",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("sku", String(40), nullable=False, unique=True),
        Column(title, String(200), nullable=False),
        Column("price", price if price is not None else Integer(), nullable=False),
    )
    Table(
        "orders",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
        Column("status", String(20), nullable=False, server_default="pending"),
        Column("currency", String(3), nullable=False, default="EUR"),
        Column("created_at", DateTime, nullable=False, server_default="CURRENT_TIMESTAMP"),
    )
    Table(
        "order_items",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("order_id", Integer, ForeignKey("orders.id"), nullable=False),
        Column("product_id", Integer, nullable=False),
        Column("quantity", quantity, nullable=False),
    )
    return metadata


old = _models("email", Integer)
new = _models("email_address", BigInteger)
titled = _models("email_address", BigInteger, "title", Numeric(12, 2))
