"""Release 3: customers can review products.

A new table is created whole in expand; nothing else uses it yet. Its foreign keys take a brief
lock on ``products`` and ``users`` (SHARE ROW EXCLUSIVE on PostgreSQL, a metadata lock on
MySQL/MariaDB) for the length of the CREATE only.

With 0005 and 0006, brings the schema to ``shop.v3``.
"""

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Text,
    text,
)

from zdmigrate import Migration, ops

migration = Migration(
    id="0007_product_reviews",
    description="product_reviews",
    operations=[
        ops.CreateTable(
            "product_reviews",
            Column("id", Integer, primary_key=True),
            Column(
                "product_id",
                Integer,
                ForeignKey("products.id", name="fk_product_reviews_product", ondelete="CASCADE"),
                nullable=False,
            ),
            Column(
                "user_id",
                Integer,
                ForeignKey("users.id", name="fk_product_reviews_user"),
                nullable=False,
            ),
            Column("rating", SmallInteger, nullable=False),
            Column("body", Text),
            Column(
                "created_at", DateTime, nullable=False, server_default=text("CURRENT_TIMESTAMP")
            ),
            CheckConstraint("rating BETWEEN 1 AND 5", name="ck_product_reviews_rating"),
            Index("ix_product_reviews_product_id", "product_id"),
        ),
    ],
)
