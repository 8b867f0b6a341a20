"""CreateIndex: built without blocking writes.

PostgreSQL builds it CONCURRENTLY, outside a transaction; an INVALID index that an earlier,
interrupted build left under the same name is dropped first. MySQL/MariaDB build it
``ALGORITHM=INPLACE, LOCK=NONE``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from zdmigrate.errors import InvalidOperation
from zdmigrate.ops.base import Operation, column_list, columns_exist, free_index_name, register
from zdmigrate.schema import Index, UniqueConstraint, is_expression

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True)
class CreateIndex(Operation):
    name: str
    table: str
    columns: list[str] = field(hash=False)
    """Column names, or SQL expressions such as ``lower(email)``."""
    unique: bool = False
    where: str | None = None

    def model(self) -> Index:
        return Index(
            name=self.name, columns=list(self.columns), unique=self.unique, where=self.where
        )

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        column_list(self.columns, f"index {self.name!r} on {self.table!r}", self.table)
        columns_exist(schema, self.table, [c for c in self.columns if not is_expression(c)])
        free_index_name(schema, self.table, self.name, "index", index_in=dialect)
        if self.where and not dialect.caps.partial_indexes:
            raise InvalidOperation(
                f"index {self.name!r} on {self.table!r}: this server has no partial indexes",
                table=self.table,
            )

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        table = schema.table(self.table)
        plain = not any(is_expression(c) for c in self.columns)
        if self.unique and plain and dialect.caps.unique_indexes_are_constraints:
            table.indexes.pop(self.name, None)
            table.uniques[self.name] = UniqueConstraint(name=self.name, columns=list(self.columns))
        else:
            table.indexes[self.name] = self.model()

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return dialect.create_index(self.table, self.model())

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return [dialect.drop_index(self.table, self.name)]
