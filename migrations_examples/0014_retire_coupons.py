"""Release 5: coupons are retired; release 5 neither reads nor writes ``orders.coupon_code``.

Release 4 still selects the column, so it stays through expand and backfill and is dropped in
contract, once release 4 is gone. Dropping a column is a catalog change on PostgreSQL and
``ALGORITHM=INSTANT`` on MySQL 8.0.29+ and MariaDB 10.4+.
"""

from zdmigrate import Migration, ops

migration = Migration(
    id="0014_retire_coupons",
    description="drop orders.coupon_code",
    operations=[ops.DropColumn("orders", "coupon_code")],
)
