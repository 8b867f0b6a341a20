"""Release 5: reviews moved to an external service; release 5 no longer reads
``product_reviews``.

The table is dropped in contract, once release 4 (which still shows reviews) is gone.
"""

from zdmigrate import Migration, ops

migration = Migration(
    id="0015_drop_product_reviews",
    description="drop product_reviews",
    operations=[ops.DropTable("product_reviews")],
)
