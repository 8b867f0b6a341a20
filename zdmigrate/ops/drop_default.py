"""DropDefault: inserts that leave the column out stop getting the default.

The old app may rely on the default for exactly those inserts, so the default stays until
contract, when the old app has stopped; before that nothing changes and rollback has nothing to
undo. Dropping a default is catalog metadata on both servers (no rewrite, no scan). Where the
column is NOT NULL and nothing else fills it, the new app must write it on every insert from
then on: the contract statement's note says so.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zdmigrate.errors import InvalidOperation
from zdmigrate.ops.base import Operation, register
from zdmigrate.steps import Phase, add_note

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True)
class DropDefault(Operation):
    table: str
    column: str

    lands_in = Phase.CONTRACT

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        if schema.table(self.table).column(self.column).default is None:
            raise InvalidOperation(
                f"column {self.column!r} of {self.table!r} has no default to drop",
                table=self.table,
                column=self.column,
            )

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        schema.table(self.table).column(self.column).default = None

    def contract(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        table = schema.table(self.table)
        statement = dialect.set_default(table, self.column, None)
        if dataclasses.replace(table.column(self.column), default=None).server_fills:
            return [statement]
        return [
            add_note(
                statement,
                f"{self.column} is NOT NULL and nothing else fills it: from now on every insert "
                "must write it, so the new app must",
            )
        ]
