"""Release 3: customers have a first and a last name, for invoices and sorting.

``users.full_name`` becomes ``first_name`` and ``last_name``. TransformColumn adds the two new
columns and a trigger that fills them from ``full_name`` whenever release 2 writes it, and
``full_name`` from them whenever release 3 writes them, so each app reads the other's customers;
existing rows are split in batches; ``full_name`` is dropped in contract, once release 2 is gone.

The expressions are portable SQL (``POSITION``, ``SUBSTRING … FROM … FOR``, ``CONCAT``, ``TRIM``
exist on PostgreSQL and MySQL/MariaDB alike): the name splits at its first space.
"""

from sqlalchemy import Column, String

from zdmigrate import Migration, ops

FIRST_SPACE = "POSITION(' ' IN full_name)"

migration = Migration(
    id="0005_split_full_name",
    description="users.full_name → first_name, last_name",
    operations=[
        ops.TransformColumn(
            "users",
            add=[
                Column("first_name", String(100), nullable=False),
                Column("last_name", String(100), nullable=False),
            ],
            up={
                "first_name": f"CASE WHEN {FIRST_SPACE} > 0 "
                f"THEN SUBSTRING(full_name FROM 1 FOR {FIRST_SPACE} - 1) ELSE full_name END",
                "last_name": f"CASE WHEN {FIRST_SPACE} > 0 "
                f"THEN SUBSTRING(full_name FROM {FIRST_SPACE} + 1) ELSE '' END",
            },
            down={"full_name": "TRIM(CONCAT(first_name, ' ', last_name))"},
            drop=["full_name"],
        ),
    ],
)
