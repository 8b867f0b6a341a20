"""Release 4: the shop sells abroad, so an order records its currency.

The column is added nullable (instant on both servers; release 3 does not know it and leaves it
NULL). Existing orders were all in euros: a Backfill sets them in batches of rows, each batch its
own short transaction, so no lock is held for the length of the table. Orders release 3 writes
while both run are filled when the column becomes NOT NULL (0013).
"""

from sqlalchemy import Column, String

from zdmigrate import Migration, ops

migration = Migration(
    id="0008_orders_currency",
    description="orders.currency, existing orders in EUR",
    operations=[
        ops.AddColumn("orders", Column("currency", String(3))),
        ops.Backfill("orders", set={"currency": "'EUR'"}, where="currency IS NULL"),
    ],
)
