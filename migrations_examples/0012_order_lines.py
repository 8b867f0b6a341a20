"""Release 5: ``order_items`` is renamed ``order_lines``, as the invoicing code calls them.

RenameTable renames the table in expand and leaves a simple, updatable view under the old name,
so release 4 reads and writes ``order_items`` through it while release 5 uses ``order_lines``;
the view is dropped in contract. The rename itself is a catalog change under a brief lock.
"""

from zdmigrate import Migration, ops

migration = Migration(
    id="0012_order_lines",
    description="order_items → order_lines",
    operations=[ops.RenameTable("order_items", "order_lines")],
)
