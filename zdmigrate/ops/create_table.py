"""CreateTable: a new table. Nothing uses it yet, so it is created whole in expand."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from zdmigrate.metadata import table_model
from zdmigrate.ops.base import Operation, absent_table, register
from zdmigrate.schema import split_name

if TYPE_CHECKING:
    from collections.abc import Mapping

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

    def __init__(
        self,
        table: str,
        *elements: sa.Column[Any] | sa.Constraint | sa.Index,
        ignore: Mapping[str, str] | None = None,
    ) -> None:
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "elements", elements)
        object.__setattr__(self, "ignore", dict(ignore or {}))

    @cached_property
    def sa_table(self) -> sa.Table:
        """The elements as one SQLAlchemy table, built once: building attaches them to it, and
        a constraint or index that names its columns cannot be copied before it is attached."""
        schema, name = split_name(self.table)
        return sa.Table(name, sa.MetaData(), *self.elements, schema=schema)

    def model(self, dialect: Dialect) -> Table:
        return table_model(self.sa_table, dialect)

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        absent_table(schema, self.table)
        for fk in self.model(dialect).foreign_keys.values():
            if fk.ref_table != self.table:  # a table may reference itself
                schema.table(fk.ref_table)

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        schema.add_table(self.model(dialect))

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return dialect.create_table(self.model(dialect))

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return [dialect.drop_table(self.table)]
