"""Release 5: a reporting view of each order's line count and total.

No operation models views, so this is RunSQL, the escape hatch: the statement, the phase it runs
in, the statement that undoes it on rollback, and the lock it takes, declared because zdmigrate
cannot know it from arbitrary SQL. Creating a view reads only the catalog and locks no rows. The
SQL is the same on PostgreSQL and MySQL/MariaDB.

With 0012, 0013, 0014 and 0015, brings the schema to ``shop.v5``.
"""

from zdmigrate import Migration, ops

migration = Migration(
    id="0016_order_totals_view",
    description="the order_totals view",
    operations=[
        ops.RunSQL(
            "CREATE VIEW order_totals AS "
            "SELECT order_id, COUNT(*) AS line_count, SUM(quantity * unit_price) AS items_total "
            "FROM order_lines GROUP BY order_id",
            phase="expand",
            reverse="DROP VIEW order_totals",
            lock="none",
        ),
    ],
)
