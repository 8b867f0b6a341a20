"""Operations, one module each. Each compiles into expand, backfill, contract and rollback steps.

Import them as ``from zdmigrate import ops`` and write ``ops.RenameColumn(...)``.
"""

from __future__ import annotations

from zdmigrate.ops.add_column import AddColumn
from zdmigrate.ops.base import OPERATIONS, Operation
from zdmigrate.ops.create_index import CreateIndex
from zdmigrate.ops.create_table import CreateTable
from zdmigrate.ops.rename_column import RenameColumn

__all__ = [
    "OPERATIONS",
    "AddColumn",
    "CreateIndex",
    "CreateTable",
    "Operation",
    "RenameColumn",
]
