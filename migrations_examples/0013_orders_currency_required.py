"""Release 5: every order has a currency.

Release 4 always writes one; orders release 3 wrote while it still ran have none. The default
comes first, for inserts that leave the column out. SetNotNull with ``fill`` then installs a
trigger that turns a NULL written into ``EUR`` while the apps overlap, fills the remaining NULLs
in batches, and adds the constraint without a long lock: on PostgreSQL a
``CHECK (currency IS NOT NULL) NOT VALID``, validated while reads and writes go on, lets
``SET NOT NULL`` skip its scan; on MySQL/MariaDB the column is changed by an in-place rebuild.
"""

from zdmigrate import Migration, ops

migration = Migration(
    id="0013_orders_currency_required",
    description="orders.currency DEFAULT 'EUR' NOT NULL",
    operations=[
        ops.SetDefault("orders", "currency", "EUR"),
        ops.SetNotNull("orders", "currency", fill="'EUR'"),
    ],
)
