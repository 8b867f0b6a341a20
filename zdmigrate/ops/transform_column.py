"""TransformColumn: values split, merged or rewritten into new columns while both apps write.

``TransformColumn("people", add=[Column("first_name", ...), Column("last_name", ...)],
up={"first_name": "split_part(full_name, ' ', 1)", ...},
down={"full_name": "concat_ws(' ', first_name, last_name)"}, drop=["full_name"])``

The recipe is SyncedCopy, both ways. Expand adds the new columns (nullable, no default) and one
trigger: a write of the old app (to the old columns named in ``down``) sets every new column to
its ``up`` expression; a write of the new app (to the new columns) sets every old column in
``down`` to its expression. Each app sees the other's writes. Backfill fills existing rows in
batches of short transactions. Contract drops the trigger and the ``drop`` columns (as DropColumn
does), gives the new columns their server defaults and makes the NOT NULL ones NOT NULL.

NOT NULL without a long lock (PostgreSQL): the ``CHECK (col IS NOT NULL) NOT VALID`` is added at
the end of backfill, once every row is filled — added in expand it would refuse the old app's
updates of rows not yet filled — and validated first thing in contract, before the contract's
transaction takes ACCESS EXCLUSIVE, so that its scan holds only SHARE UPDATE EXCLUSIVE.

Expressions are the dialect's SQL, as the user writes them. A column in ``down`` may have no
server default: an insert of the new app that leaves it out would get the default, which the
trigger cannot tell from a written value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from zdmigrate.dialects import SyncDirection
from zdmigrate.errors import InvalidOperation
from zdmigrate.metadata import column_model
from zdmigrate.ops.base import (
    Operation,
    absent_column,
    columns_exist,
    copyable_column,
    key_of,
    register,
)
from zdmigrate.ops.drop_column import DropColumn
from zdmigrate.ops.recipes import NotNullByCheck, SyncedCopy, detached
from zdmigrate.steps import Phase

if TYPE_CHECKING:
    import sqlalchemy as sa

    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Column, Schema
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True)
class TransformColumn(Operation):
    table: str
    add: list[sa.Column[Any]] = field(hash=False)
    up: dict[str, str] = field(hash=False)
    """New column → SQL expression over the old columns."""
    down: dict[str, str] = field(hash=False)
    """Old column (one the old app writes) → SQL expression over the new columns."""
    drop: list[str] = field(default_factory=list, hash=False)
    """Old columns retired in contract."""

    def synced_columns(self) -> set[tuple[str, str]]:
        return {(self.table, c.name) for c in self.add} | {(self.table, c) for c in self.down}

    def models(self, dialect: Dialect) -> list[Column]:
        return [column_model(c, dialect) for c in self.add]

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        added = [c.name for c in self.add]
        for name in added:
            absent_column(schema, self.table, name)
        columns_exist(schema, self.table, [*self.down, *self.drop])
        if not added or set(self.up) != set(added):
            self._refuse(f"up must give each added column ({', '.join(added)}) its expression")
        if not self.down:
            self._refuse("down must give at least one old column its expression")
        for column in self.add:
            if column.foreign_keys or column.unique or column.index:
                self._refuse(
                    "add foreign keys, unique constraints and indexes with their own "
                    "operations so each is built online",
                    column.name,
                )
        for name in self.down:
            copyable_column(schema, self.table, name, "transform into")
            if schema.table(self.table).column(name).default is not None:
                self._refuse(
                    "it has a server default, which the sync trigger cannot tell from a value "
                    "the new app wrote; drop the default first",
                    name,
                )
        for name in self.drop:
            DropColumn(self.table, name).validate(schema, dialect)
        key_of(schema, self.table)

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        table = schema.table(self.table)
        for column in self.models(dialect):
            table.columns[column.name] = column
        for name in self.drop:
            table.drop_column(name)

    def apply_phase(self, schema: Schema, dialect: Dialect, phase: Phase) -> None:
        """Expand adds the new columns (nullable, no default) and the trigger filling each side
        from the other, and loosens retired columns the trigger does not fill. Backfill ends
        with NOT NULL checks NOT VALID on PostgreSQL. Contract leaves what ``apply`` leaves."""
        if phase is Phase.EXPAND:
            self.copy(dialect).apply_expand(schema, dialect)
            for drop in self.unfilled_drops():
                drop.apply_phase(schema, dialect, phase)
        elif phase is Phase.BACKFILL:
            for not_null in self.not_null(dialect):
                not_null.apply_expand(schema, dialect)
        elif phase is Phase.CONTRACT:
            table = schema.table(self.table)
            for column in self.models(dialect):
                table.column(column.name).default = column.default
            self.copy(dialect).apply_drop_trigger(schema, dialect)
            for name in self.drop:
                DropColumn(self.table, name).apply_phase(schema, dialect, phase)
            for not_null in self.not_null(dialect):
                not_null.apply_contract(schema, dialect)

    # --- the recipe ----------------------------------------------------------------------

    def copy(self, dialect: Dialect) -> SyncedCopy:
        models = self.models(dialect)
        return SyncedCopy(
            table=self.table,
            purpose="transform_" + "_".join(c.name for c in models),
            new_columns=tuple(detached(c, c.name) for c in models),
            forward=SyncDirection(sources=tuple(self.down), assignments=tuple(self.up.items())),
            backward=SyncDirection(
                sources=tuple(c.name for c in models), assignments=tuple(self.down.items())
            ),
        )

    def not_null(self, dialect: Dialect) -> list[NotNullByCheck]:
        return [NotNullByCheck(self.table, c.name) for c in self.models(dialect) if not c.nullable]

    def unfilled_drops(self) -> list[DropColumn]:
        """Retired columns the trigger does not fill: DropColumn loosens the NOT NULL ones."""
        return [DropColumn(self.table, name) for name in self.drop if name not in self.down]

    # --- phases --------------------------------------------------------------------------

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        statements = self.copy(dialect).expand(schema, dialect)
        for drop in self.unfilled_drops():
            statements += drop.expand(schema, dialect)
        return statements

    def backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        statements = self.copy(dialect).backfill(schema, dialect)
        for not_null in self.not_null(dialect):
            statements += not_null.expand(dialect)
        return statements

    def contract(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        after = schema.copy()
        self.apply(after, dialect)
        statements: list[Statement] = []
        for not_null in self.not_null(dialect):
            statements += not_null.backfill(after, dialect)
        # Defaults first, while the trigger still fills every column: once it is gone, an
        # insert that leaves a new column out must already get its default.
        for column in self.models(dialect):
            if column.default is not None:
                statements.append(
                    dialect.set_default(after.table(self.table), column.name, column.default)
                )
        # Once the trigger is gone nothing fills the old columns, and the drops below may not
        # share its transaction (an index drop runs CONCURRENTLY on its own; MySQL commits each
        # statement): a NOT NULL one would refuse the new app's inserts in between.
        table = schema.table(self.table)
        statements += [
            dialect.set_nullable(table, name, True)
            for name in self.drop
            if not table.column(name).nullable
        ]
        statements += self.copy(dialect).drop_trigger(dialect)
        # Each drop sees the table the drops before it left (a shared index goes once).
        remaining = schema.copy()
        for name in self.drop:
            drop = DropColumn(self.table, name)
            statements += drop.contract(remaining, dialect)
            drop.apply(remaining, dialect)
        for not_null in self.not_null(dialect):
            statements += not_null.contract(after, dialect)
        return statements

    def undo_backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return [s for not_null in self.not_null(dialect) for s in not_null.rollback(dialect)]

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        statements = [s for drop in self.unfilled_drops() for s in drop.rollback(schema, dialect)]
        return statements + self.copy(dialect).rollback(dialect)

    def _refuse(self, reason: str, column: str | None = None) -> NoReturn:
        where = f"column {column!r} of {self.table!r}" if column else repr(self.table)
        raise InvalidOperation(
            f"cannot transform {where}: {reason}", table=self.table, column=column
        )
