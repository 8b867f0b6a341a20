"""Release 2: prices in cents. Products and order lines change from whole euros (INTEGER) to
NUMERIC(12, 2).

An in-place type change rewrites the table under an exclusive lock on PostgreSQL and copies it
under a write lock on MySQL/MariaDB. ChangeColumnType instead adds a NUMERIC shadow of each column
and a trigger that fills it from every write release 1 makes, fills the existing rows in batches,
and at the end of backfill swaps the shadow in under the original name — a few catalog changes,
one transaction on PostgreSQL, a moment under LOCK TABLES … WRITE on MySQL/MariaDB. From then on
both releases read and write NUMERIC(12, 2) prices (release 1 writes whole euros, which fit),
while a trigger keeps the retired INTEGER column at ROUND(price) for a rollback. Contract drops
the retired column.
"""

from sqlalchemy import Numeric

from zdmigrate import Migration, ops

migration = Migration(
    id="0002_decimal_prices",
    description="products.price and order_items.unit_price become NUMERIC(12, 2)",
    operations=[
        ops.ChangeColumnType(
            "products",
            "price",
            Numeric(12, 2),
            up="CAST(price AS DECIMAL(12, 2))",
            down="ROUND(price)",
        ),
        ops.ChangeColumnType(
            "order_items",
            "unit_price",
            Numeric(12, 2),
            up="CAST(unit_price AS DECIMAL(12, 2))",
            down="ROUND(unit_price)",
        ),
    ],
)
