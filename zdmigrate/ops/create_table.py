"""CreateTable: a new table. Nothing uses it yet, so it is created whole in expand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from zdmigrate.metadata import table_model
from zdmigrate.ops.base import Operation, absent_table, register
from zdmigrate.schema import split_name

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema, Table
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True, init=False)
class CreateTable(Operation):
    """``CreateTable("billing.invoices", Column(...), ..., UniqueConstraint(...), Index(...))``,
    as Alembic's ``op.create_table`` takes them."""

    table: str
    elements: tuple[Any, ...] = field(default=())

    def __init__(self, table: str, *elements: sa.Column[Any] | sa.Constraint | sa.Index) -> None:
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "elements", elements)

    def model(self, dialect: Dialect) -> Table:
        schema, name = split_name(self.table)
        copies = [
            e._copy() if isinstance(e, sa.Column | sa.Constraint) else e for e in self.elements
        ]
        indexes = [e for e in copies if isinstance(e, sa.Index)]
        others = [e for e in copies if not isinstance(e, sa.Index)]
        table = sa.Table(name, sa.MetaData(), *others, schema=schema)
        for index in indexes:
            sa.Index(
                index.name,
                *[table.c[str(e)] for e in index.expressions],
                unique=index.unique,
                _table=table,
            )
        return table_model(table, dialect)

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        absent_table(schema, self.table)
        for fk in self.model(dialect).foreign_keys.values():
            schema.table(fk.ref_table)

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        schema.add_table(self.model(dialect))

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return dialect.create_table(self.model(dialect))

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return [dialect.drop_table(self.table)]
