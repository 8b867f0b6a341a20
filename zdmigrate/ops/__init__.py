"""Operations, one module each. Each compiles into expand, backfill, contract and rollback steps.

Import them as ``from zdmigrate import ops`` and write ``ops.RenameColumn(...)``.
"""

from __future__ import annotations

from zdmigrate.ops.add_check_constraint import AddCheckConstraint
from zdmigrate.ops.add_column import AddColumn
from zdmigrate.ops.add_enum_value import AddEnumValue
from zdmigrate.ops.add_foreign_key import AddForeignKey
from zdmigrate.ops.add_unique_constraint import AddUniqueConstraint
from zdmigrate.ops.alter_table import AlterTable
from zdmigrate.ops.backfill import Backfill
from zdmigrate.ops.base import OPERATIONS, Operation
from zdmigrate.ops.change_column_type import ChangeColumnType
from zdmigrate.ops.create_enum import CreateEnum
from zdmigrate.ops.create_index import CreateIndex
from zdmigrate.ops.create_table import CreateTable
from zdmigrate.ops.drop_column import DropColumn
from zdmigrate.ops.drop_constraint import DropConstraint
from zdmigrate.ops.drop_default import DropDefault
from zdmigrate.ops.drop_index import DropIndex
from zdmigrate.ops.drop_not_null import DropNotNull
from zdmigrate.ops.drop_table import DropTable
from zdmigrate.ops.rename_column import RenameColumn
from zdmigrate.ops.rename_table import RenameTable
from zdmigrate.ops.run_sql import RunSQL
from zdmigrate.ops.set_default import SetDefault
from zdmigrate.ops.set_not_null import SetNotNull
from zdmigrate.ops.transform_column import TransformColumn

__all__ = [
    "OPERATIONS",
    "AddCheckConstraint",
    "AddColumn",
    "AddEnumValue",
    "AddForeignKey",
    "AddUniqueConstraint",
    "AlterTable",
    "Backfill",
    "ChangeColumnType",
    "CreateEnum",
    "CreateIndex",
    "CreateTable",
    "DropColumn",
    "DropConstraint",
    "DropDefault",
    "DropIndex",
    "DropNotNull",
    "DropTable",
    "Operation",
    "RenameColumn",
    "RenameTable",
    "RunSQL",
    "SetDefault",
    "SetNotNull",
    "TransformColumn",
]
