"""AddColumn: a new column, usable by the new app, invisible to the old one.

Expand adds it in one brief ALTER (PostgreSQL 11+ stores a non-volatile default in the catalog
and MySQL/MariaDB add it INSTANT, so neither rewrites the table). A NOT NULL column needs a
server default: the old app's inserts leave it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zdmigrate.errors import InvalidOperation
from zdmigrate.metadata import column_model
from zdmigrate.ops.base import Operation, absent_column, register

if TYPE_CHECKING:
    import sqlalchemy as sa

    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Column, Schema
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True)
class AddColumn(Operation):
    table: str
    column: sa.Column[Any]

    def model(self, dialect: Dialect) -> Column:
        return column_model(self.column, dialect)

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        absent_column(schema, self.table, self.column.name)
        if (
            self.column.foreign_keys
            or self.column.unique
            or self.column.index
            or self.column.constraints
        ):
            raise InvalidOperation(
                f"column {self.column.name!r} of {self.table!r}: add foreign keys, unique and "
                "check constraints and indexes with their own operations so each is built online",
                table=self.table,
                column=self.column.name,
            )
        if not self.model(dialect).server_fills:
            raise InvalidOperation(
                f"column {self.column.name!r} of {self.table!r} is NOT NULL without a "
                "server_default: the old app's inserts would fail. Give it a server_default, "
                "or add it nullable and follow with SetNotNull(fill=...)",
                table=self.table,
                column=self.column.name,
            )

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        schema.table(self.table).columns[self.column.name] = self.model(dialect)

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return [dialect.add_column(self.table, self.model(dialect))]

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return [dialect.drop_column(self.table, self.column.name)]
