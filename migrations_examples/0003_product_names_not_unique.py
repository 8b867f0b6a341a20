"""Release 2: several products may share a name (the same shirt in three sizes has three SKUs).

The unique constraint on ``products.name`` goes; lookups by name keep an index, built online
(CONCURRENTLY on PostgreSQL, ``ALGORITHM=INPLACE, LOCK=NONE`` on MySQL/MariaDB) before the
constraint, and the index behind it, is dropped.
"""

from zdmigrate import Migration, ops

migration = Migration(
    id="0003_product_names_not_unique",
    description="drop uq_products_name, keep an index on products.name",
    operations=[
        ops.CreateIndex("ix_products_name", "products", ["name"]),
        ops.DropConstraint("uq_products_name", "products"),
    ],
)
