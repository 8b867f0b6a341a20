"""DropNotNull: the new app may write NULL; the old app, which never does, is unaffected.

Expand drops the constraint: on PostgreSQL a catalog change under a brief lock, with no scan;
on MySQL/MariaDB an online in-place rebuild (reads and writes go on). Rollback sets NOT NULL
back, which checks every row (a scan; on PostgreSQL under its lock) and fails if the new app
has written NULLs meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from zdmigrate.errors import InvalidOperation
from zdmigrate.ops.base import Operation, register
from zdmigrate.steps import add_note

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True)
class DropNotNull(Operation):
    table: str
    column: str

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        table = schema.table(self.table)
        column = table.column(self.column)
        refused = None
        if column.nullable:
            refused = "it is nullable already"
        elif table.primary_key and self.column in table.primary_key.columns:
            refused = "it is part of the primary key"
        elif column.identity:
            refused = "it is an identity column"
        if refused:
            raise InvalidOperation(
                f"cannot drop NOT NULL from column {self.column!r} of {self.table!r}: {refused}",
                table=self.table,
                column=self.column,
            )

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        schema.table(self.table).column(self.column).nullable = True

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return [dialect.set_nullable(schema.table(self.table), self.column, True)]

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        statement = dialect.set_nullable(schema.table(self.table), self.column, False)
        return [add_note(statement, "fails if the new app has written NULLs: fill them first")]
