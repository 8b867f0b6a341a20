"""The contract every operation keeps, and the registry of operations.

An operation is a frozen dataclass with the same methods in the same order:

- ``validate(schema, dialect)``: raise a :class:`~zdmigrate.errors.SchemaError` naming the table
  and column if the operation does not fit the schema it is applied to;
- ``apply(schema, dialect)``: change the schema model to what it is once the operation is
  complete (after contract), so that later operations see it;
- ``expand`` / ``backfill`` / ``contract``: the statements of each phase, built against the
  schema as it was before the operation;
- ``undo_backfill`` and ``rollback``: what undoes the schema changes of backfill (most operations
  make none: backfill fills data) and of expand. A rollback runs the first only where backfill
  ran, so each can assume the state its phase left.

Statements come from the dialect; operations decide only which phase each belongs to, and branch
on ``dialect.caps``, never on the dialect's name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from zdmigrate.errors import ColumnExists, ColumnNotFound, InvalidOperation, TableExists

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement

OPERATIONS: dict[str, type[Operation]] = {}

OperationClass = TypeVar("OperationClass", bound="type[Operation]")


def register(cls: OperationClass) -> OperationClass:
    """Add an operation class to the registry; a name registered twice is a bug."""
    name = cls.__name__
    if name in OPERATIONS:
        raise RuntimeError(f"operation {name} is registered twice")
    OPERATIONS[name] = cls
    return cls


class Operation:
    """Base of every operation. Subclasses are frozen dataclasses."""

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        """Raise a SchemaError if this operation does not fit ``schema``."""

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        """Change ``schema`` to the state after contract."""
        raise NotImplementedError

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return []

    def backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return []

    def contract(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return []

    def undo_backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return []

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return []


# --- checks shared by operations ------------------------------------------------------------


def absent_table(schema: Schema, table: str) -> None:
    if table in schema.tables:
        raise TableExists(table)


def existing_column(schema: Schema, table: str, column: str) -> None:
    schema.table(table).column(column)


def absent_column(schema: Schema, table: str, column: str) -> None:
    if column in schema.table(table).columns:
        raise ColumnExists(table, column)


def columns_exist(schema: Schema, table: str, columns: list[str] | tuple[str, ...]) -> None:
    t = schema.table(table)
    for column in columns:
        if column not in t.columns:
            raise ColumnNotFound(table, column)


def key_of(schema: Schema, table: str) -> tuple[str, ...]:
    """The key a batched job walks; a table without one cannot be backfilled online."""
    key = schema.table(table).key_columns()
    if not key:
        raise InvalidOperation(
            f"table {table!r} has no primary key or unique NOT NULL key to backfill by",
            table=table,
        )
    return tuple(key)
