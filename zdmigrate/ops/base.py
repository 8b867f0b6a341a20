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
  ran, so each can assume the state its phase left;
- ``apply_phase(schema, dialect, phase)``: change the schema model by what one phase really
  leaves on the server, so that the planner sees the states both app versions meet. Expand,
  backfill and contract in turn give what ``apply`` gives. Most operations change the schema in
  one phase only, named by ``lands_in``; those with states in between override it.

Statements come from the dialect; operations decide only which phase each belongs to, and branch
on ``dialect.caps``, never on the dialect's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, TypeVar

from zdmigrate.errors import (
    ColumnExists,
    ColumnNotFound,
    InvalidOperation,
    ObjectExists,
    TableExists,
)
from zdmigrate.schema import is_expression, uses_column
from zdmigrate.steps import Phase

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema, Table
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


@dataclass(frozen=True)
class Operation:
    """Base of every operation. Subclasses are frozen dataclasses."""

    ignore: Mapping[str, str] = field(
        default_factory=dict, kw_only=True, compare=False, hash=False, repr=False
    )
    """Planner findings to accept for this operation: rule code → the reason, which the
    report shows (``ignore={"ZD201": "the table has 40 rows"}``)."""

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        """Raise a SchemaError if this operation does not fit ``schema``."""

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        """Change ``schema`` to the state after contract."""
        raise NotImplementedError

    lands_in: ClassVar[Phase] = Phase.EXPAND
    """The phase whose statements make the whole of ``apply``'s change: expand for what is
    added (nothing uses it yet), contract for what is taken away (the old app uses it until
    then)."""

    def apply_phase(self, schema: Schema, dialect: Dialect, phase: Phase) -> None:
        """Change ``schema`` by what this operation's ``phase`` leaves on the server. The schema
        is the one the phase meets, where other operations' phases may have run in between."""
        if phase == self.lands_in:
            self.apply(schema, dialect)

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return []

    def backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return []

    def contract(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return []

    def undo_backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return []

    def synced_columns(self) -> set[tuple[str, str]]:
        """(table, column) pairs a trigger of this operation keeps in step until its contract."""
        return set()

    def written_columns(self) -> set[tuple[str, str]]:
        """(table, column) pairs this operation writes by trigger or batched job before its
        contract. A sync trigger cannot tell such writes from an app's, so none may land on a
        column another operation of the same migration keeps in step."""
        return self.synced_columns()

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return []


# --- checks shared by operations ------------------------------------------------------------


def absent_table(schema: Schema, table: str) -> None:
    # A view holds a name as a table does: the one a renamed table leaves for the old app.
    if table in schema.tables or table in schema.views:
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


def column_list(value: object, owner: str, table: str, argument: str = "columns") -> None:
    """Refuse a plain string where a list of column names goes: ``"email"`` would be read as
    the columns e, m, a, i, l. ``owner`` names the object ("index 'ix' on 'users'")."""
    if isinstance(value, str):
        raise InvalidOperation(
            f"{owner}: {argument} must be a list of column names such as [{value!r}], "
            f"not the string {value!r}",
            table=table,
        )


def free_index_name(
    schema: Schema, table: str, name: str, kind: str, *, index_in: Dialect | None = None
) -> None:
    """No index or constraint of ``table`` is called ``name`` — except an INVALID index that an
    interrupted concurrent build left behind, which the next build drops and makes again.

    ``index_in``: the object is an index on that dialect's server. Where index names are shared
    by a whole schema (PostgreSQL), no other table of the schema may have an index, primary key
    or unique constraint of that name either: the build drops an INVALID leftover by name.
    """
    t = schema.table(table)
    index = t.indexes.get(name)
    if (index is not None and index.valid) or name in t.constraint_names():
        raise ObjectExists(kind, name, table)
    if index_in is None or not index_in.caps.index_names_per_schema:
        return
    for other in schema.tables.values():
        if other.schema != t.schema or other is t:
            continue
        pk = other.primary_key.name if other.primary_key else None
        if name in other.indexes or name in other.uniques or name == pk:
            raise ObjectExists(kind, name, other.qualified_name)


def key_of(schema: Schema, table: str) -> tuple[str, ...]:
    """The key a batched job walks; a table without one cannot be backfilled online."""
    key = schema.table(table).key_columns()
    if not key:
        raise InvalidOperation(
            f"table {table!r} has no primary key or unique NOT NULL key to backfill by",
            table=table,
        )
    return tuple(key)


def _written_over(table: Table, column: str) -> str | None:
    """An object whose SQL text uses ``column``: an expression or partial index, a CHECK, a
    generated column. Named for the message, or None."""
    for index in table.indexes.values():
        parts = [p for p in index.columns if is_expression(p)] + [index.where or ""]
        if any(uses_column(p, column) for p in parts):
            return f"index {index.name!r}"
    for check in table.checks.values():
        if uses_column(check.expression, column):
            return f"check constraint {check.name!r}"
    for other in table.columns.values():
        if other.generated and uses_column(other.generated, column):
            return f"generated column {other.name!r}"
    return None


def copyable_column(schema: Schema, table: str, column: str, action: str) -> None:
    """Refuse a column that a synced copy cannot stand in for: the server fills it (identity,
    generated), or a key holds on to it (primary key, foreign key, a foreign key to it).
    ``action`` names what was asked ("change the type of")."""
    t = schema.table(table)
    c = t.column(column)
    refused = None
    if c.identity or c.generated:
        refused = "is an identity or generated column"
    elif t.primary_key and column in t.primary_key.columns:
        refused = "is part of the primary key"
    elif any(column in fk.columns for fk in t.foreign_keys.values()):
        refused = "is part of a foreign key (drop it, change the column, then add it back)"
    elif any(column in fk.ref_columns for _, fk in schema.foreign_keys_to(table)):
        refused = "is referenced by a foreign key"
    elif dependent := _written_over(t, column):
        # These name the column in SQL text: twins on the new column would need that text
        # rewritten, and dropping the old column would silently take them with it.
        refused = f"is used by {dependent} (drop it first, then add it back afterwards)"
    if refused:
        raise InvalidOperation(
            f"cannot {action} column {column!r} of {table!r} online: it {refused}",
            table=table,
            column=column,
        )
