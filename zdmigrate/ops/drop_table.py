"""DropTable: the old app still reads and writes the table until it is gone, so it is dropped
in contract, after the old app has stopped. Nothing before contract changes, so rollback has
nothing to undo. The drop itself takes its exclusive lock only for a moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from zdmigrate.errors import InvalidOperation
from zdmigrate.ops.base import Operation, register
from zdmigrate.steps import Phase

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True)
class DropTable(Operation):
    table: str

    lands_in = Phase.CONTRACT

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        schema.table(self.table)
        for referencing, fk in schema.foreign_keys_to(self.table):
            if referencing.qualified_name != self.table:
                raise InvalidOperation(
                    f"cannot drop table {self.table!r}: foreign key {fk.name!r} of table "
                    f"{referencing.qualified_name!r} references it (drop that first)",
                    table=self.table,
                )

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        del schema.tables[self.table]

    def contract(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return [dialect.drop_table(self.table)]
