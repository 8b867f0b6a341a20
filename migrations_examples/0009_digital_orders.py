"""Release 4: e-books and gift cards have nothing to ship, and a prepaid order starts ``paid``.

- ``orders.shipping_address`` becomes nullable. Dropping NOT NULL is a catalog change on
  PostgreSQL; on MySQL/MariaDB it is an in-place rebuild (reads and writes go on). Release 3
  still writes an address for every order, so it is unaffected.
- ``orders.status`` loses its default: release 4 sets the status of each order itself, and a
  default of ``pending`` would hide an order it forgot to set. Release 3 still relies on the
  default, so it is dropped in contract, once release 3 is gone.
"""

from zdmigrate import Migration, ops

migration = Migration(
    id="0009_digital_orders",
    description="shipping_address nullable, no default status",
    operations=[
        ops.DropNotNull("orders", "shipping_address"),
        ops.DropDefault("orders", "status"),
    ],
)
