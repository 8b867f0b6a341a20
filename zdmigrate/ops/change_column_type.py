"""ChangeColumnType: a column's type changes while both apps read and write it by its name.

``ChangeColumnType("orders", "amount", Numeric(12, 2), up="amount::numeric(12,2)",
down="amount::int")``: ``up`` gives the new value from the row's columns, ``down`` the old value
from the new one (the column's name is bound to the new-typed value), in the dialect's SQL.

Expand adds a shadow column of the new type (nullable, no default) and a trigger that sets it to
``up`` on every write (SyncedCopy, forward only). Backfill fills the shadow in batches of short
transactions, builds twins of the column's indexes on it (online), then swaps: the column takes
a retired name, the shadow takes the column's name and server default, and the trigger becomes
one that keeps the retired column equal to ``down`` on every write, so that a rollback after the
swap loses nothing the new app wrote. The swap changes only the catalog and takes effect at once:
on PostgreSQL it is one transaction; on MySQL/MariaDB, whose DDL commits statement by statement,
it runs under LOCK TABLES … WRITE, so no write lands while no trigger is there. Nothing copies
the table under a lock: no ALTER … TYPE (a rewrite under ACCESS EXCLUSIVE), no ALGORITHM=COPY.

After the swap both apps use the column by its name with the new type, so the old app must
tolerate the new type (read 12.50 where it wrote 12, a longer text, a new ENUM label), which
the planner (``zdmigrate plan``, not built yet) is to check against its models. Contract
validates NOT NULL (PostgreSQL: the CHECK … NOT VALID added at the swap is validated first,
before the contract's transaction takes ACCESS EXCLUSIVE), drops the trigger and the retired
column, and gives the twin indexes the original names. A CHECK using
the column would be dropped with the retired column: such a change is refused.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from zdmigrate.dialects import SyncDirection
from zdmigrate.errors import InvalidOperation
from zdmigrate.ops.base import Operation, absent_column, copyable_column, key_of, register
from zdmigrate.ops.recipes import NotNullByCheck, SyncedCopy, add_triggers, drop_triggers
from zdmigrate.ops.rename_column import RenameColumn
from zdmigrate.schema import Column
from zdmigrate.steps import Phase

if TYPE_CHECKING:
    from sqlalchemy.types import TypeEngine

    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Index, Schema, Table
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True)
class ChangeColumnType(Operation):
    table: str
    column: str
    type_: TypeEngine[Any] = field(hash=False)
    up: str
    down: str

    def synced_columns(self) -> set[tuple[str, str]]:
        return {(self.table, self.column)}

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        table = schema.table(self.table)
        old_type = table.column(self.column).type
        copyable_column(schema, self.table, self.column, "change the type of")
        for name in (self.shadow(dialect), self.retired(dialect)):
            absent_column(schema, self.table, name)
        if self.new_type(dialect) == old_type:
            self._refuse(f"it already has the type {old_type}")
        if not self.up.strip() or not self.down.strip():
            self._refuse("up and down must both be SQL expressions")
        for check in table.checks.values():
            if dialect.expression_columns(check.expression, [self.column]):
                self._refuse(
                    f"check constraint {check.name!r} uses it and would be dropped with the old "
                    "column; drop it first and add it back after the change"
                )
        key_of(schema, self.table)

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        column = schema.table(self.table).column(self.column)
        column.type = self.new_type(dialect)
        column.default = self.new_default(column.default, dialect)

    def apply_phase(self, schema: Schema, dialect: Dialect, phase: Phase) -> None:
        """Expand adds the shadow, filled by the trigger. Backfill ends with the swap: the
        column has the new type under its name (nullable, with a NOT NULL check NOT VALID on
        PostgreSQL where it was NOT NULL), the old one is retired and filled by the trigger.
        Contract leaves what ``apply`` leaves."""
        copied = self.copy(dialect)
        if phase is Phase.EXPAND:
            copied.apply_expand(schema, dialect)
        elif phase is Phase.BACKFILL:
            not_null = self.not_null(schema)
            RenameColumn(self.table, self.column, self.shadow(dialect)).apply_twins(schema, dialect)
            table = schema.table(self.table)
            swapped = self._exchanged(table, self.shadow(dialect), self.retired(dialect))
            swapped.column(self.column).default = self.new_default(
                swapped.column(self.column).default, dialect
            )
            drop_triggers(swapped, copied.trigger(dialect), dialect)
            add_triggers(swapped, copied.trigger(dialect), dialect, self.backward(dialect).targets)
            schema.add_table(swapped)
            if not_null:
                not_null.apply_expand(schema, dialect)
        elif phase is Phase.CONTRACT:
            table = schema.table(self.table)
            retired = self.retired(dialect)
            rename = RenameColumn(self.table, retired, self.column)
            pairs, uniques = rename.twins(schema, dialect), rename.uniques(schema, dialect)
            nullable = table.column(retired).nullable
            copied.apply_drop_trigger(schema, dialect)
            table.drop_column(retired)
            rename.apply_twin_names(schema, pairs, uniques)
            if not nullable:
                NotNullByCheck(self.table, self.column).apply_contract(schema, dialect)

    # --- the recipe ----------------------------------------------------------------------

    def new_type(self, dialect: Dialect) -> str:
        return dialect.render_type(self.type_)

    def new_default(self, default: str | None, dialect: Dialect) -> str | None:
        """The column's server default as the server spells it for the new type: MySQL reads
        the default 0 of a DECIMAL(12,2) column back as 0.00."""
        return (
            None if default is None else dialect.normalize_default(default, self.new_type(dialect))
        )

    def shadow(self, dialect: Dialect) -> str:
        return dialect.object_name(self.column, "new")

    def retired(self, dialect: Dialect) -> str:
        return dialect.object_name(self.column, "old")

    def forward(self, dialect: Dialect) -> SyncDirection:
        """Before the swap: the shadow follows the column."""
        return SyncDirection((self.column,), ((self.shadow(dialect), self.up),))

    def backward(self, dialect: Dialect) -> SyncDirection:
        """After the swap: the retired column follows the column, now of the new type."""
        return SyncDirection((self.column,), ((self.retired(dialect), self.down),))

    def copy(self, dialect: Dialect) -> SyncedCopy:
        shadow = Column(name=self.shadow(dialect), type=self.new_type(dialect), nullable=True)
        return SyncedCopy(
            table=self.table,
            purpose=f"type_{self.column}",
            new_columns=(shadow,),
            forward=self.forward(dialect),
            backward=None,
        )

    def swapped(self, schema: Schema, dialect: Dialect) -> Table:
        """The table after the swap: the column of the new type, the old one retired."""
        expanded = self.copy(dialect).expanded(schema)
        return self._exchanged(expanded, self.shadow(dialect), self.retired(dialect))

    def twins(
        self, schema: Schema, dialect: Dialect
    ) -> tuple[list[tuple[Index, Index]], list[tuple[str, Index]]]:
        """The twins on the shadow of the column's indexes and of its unique constraints: those
        a rename of the column to the shadow builds."""
        rename = RenameColumn(self.table, self.column, self.shadow(dialect))
        return rename.twins(schema, dialect), rename.uniques(schema, dialect)

    def not_null(self, schema: Schema) -> NotNullByCheck | None:
        nullable = schema.table(self.table).column(self.column).nullable
        return None if nullable else NotNullByCheck(self.table, self.column)

    # --- phases --------------------------------------------------------------------------

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return self.copy(dialect).expand(schema, dialect)

    def backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        # Indexes are built after the copy, so that the batches do not maintain them.
        statements = self.copy(dialect).backfill(schema, dialect)
        pairs, uniques = self.twins(schema, dialect)
        for _, twin in pairs + uniques:
            statements += dialect.create_index(self.table, twin)
        expanded = self.copy(dialect).expanded(schema)
        swap = self._exchange(
            expanded, self.shadow(dialect), self.retired(dialect), self.backward(dialect), dialect
        )
        if not_null := self.not_null(schema):
            # Every row is filled now, so the check refuses no update of an unfilled row.
            swap += not_null.expand(dialect)
        return statements + dialect.atomically(self.table, swap)

    def contract(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        swapped = schema.copy()
        swapped.add_table(self.swapped(schema, dialect))
        not_null = self.not_null(schema)
        # The scan first: later statements of the transaction take ACCESS EXCLUSIVE.
        statements = not_null.backfill(swapped, dialect) if not_null else []
        pairs, uniques = self.twins(schema, dialect)
        statements += self.copy(dialect).retire(
            swapped.table(self.table), self.retired(dialect), dialect
        )
        for index, twin in pairs:
            statements.append(dialect.rename_index(self.table, twin.name, index.name))
        for name, twin in uniques:
            statements += dialect.unique_from_index(self.table, name, twin.name)
        if not_null:
            statements += not_null.contract(swapped, dialect)
        return statements

    def undo_backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        not_null = self.not_null(schema)
        swap_back = not_null.rollback(dialect) if not_null else []
        swap_back += self._exchange(
            self.swapped(schema, dialect),
            self.retired(dialect),
            self.shadow(dialect),
            self.forward(dialect),
            dialect,
        )
        pairs, uniques = self.twins(schema, dialect)
        return dialect.atomically(self.table, swap_back) + [
            dialect.drop_index(self.table, twin.name) for _, twin in pairs + uniques
        ]

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return self.copy(dialect).rollback(dialect)

    # --- the swap, either way ------------------------------------------------------------

    def _exchanged(self, table: Table, standby: str, retire_as: str) -> Table:
        """``table`` once ``standby`` has taken the column's name and server default and the
        column is renamed ``retire_as``."""
        result = copy.deepcopy(table)
        default = result.column(self.column).default
        result.rename_column(self.column, retire_as)
        result.rename_column(standby, self.column)
        result.column(retire_as).default = None
        result.column(self.column).default = default
        return result

    def _exchange(
        self, table: Table, standby: str, retire_as: str, sync: SyncDirection, dialect: Dialect
    ) -> list[Statement]:
        """The statements that turn ``table`` into ``_exchanged(table, …)``, with a trigger that
        keeps the retired column in step by ``sync``. The retired column loses its default, so
        that an insert leaving it out gives the trigger a NULL to fill."""
        copied = self.copy(dialect)
        statements = copied.drop_trigger(dialect)
        default = table.column(self.column).default
        if default is not None:
            statements += [
                dialect.set_default(table, self.column, None),
                dialect.set_default(table, standby, default),
            ]
        statements += [
            dialect.rename_column(self.table, self.column, retire_as),
            dialect.rename_column(self.table, standby, self.column),
        ]
        exchanged = self._exchanged(table, standby, retire_as)
        return statements + dialect.create_sync_trigger(
            exchanged, copied.trigger(dialect), sync, None
        )

    def _refuse(self, reason: str) -> NoReturn:
        raise InvalidOperation(
            f"cannot change the type of column {self.column!r} of {self.table!r}: {reason}",
            table=self.table,
            column=self.column,
        )
