"""RenameColumn: the old app keeps writing the old name while the new app writes the new one.

Expand adds the new column and a trigger that copies every write across, both ways, so each
app sees the other's writes; the old column's server default moves into the trigger, which
gives it to both names when an insert writes neither. Backfill copies existing rows in batches,
builds a twin of every index on the old column on the new one (online), and for a NOT NULL
column adds and validates the NOT NULL check. Contract drops the trigger and the old column,
gives the twins their original names, sets the default on the new column and NOT NULL without a
long lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from zdmigrate.dialects import SyncDirection
from zdmigrate.ops.base import Operation, absent_column, copyable_column, register
from zdmigrate.ops.create_index import CreateIndex
from zdmigrate.ops.recipes import NotNullByCheck, SyncedCopy, detached, indexes_on
from zdmigrate.schema import Index, UniqueConstraint
from zdmigrate.steps import Phase

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True)
class RenameColumn(Operation):
    table: str
    old: str
    new: str

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        absent_column(schema, self.table, self.new)
        copyable_column(schema, self.table, self.old, "rename")

    def synced_columns(self) -> set[tuple[str, str]]:
        return {(self.table, self.old), (self.table, self.new)}

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        schema.table(self.table).rename_column(self.old, self.new)

    def apply_phase(self, schema: Schema, dialect: Dialect, phase: Phase) -> None:
        """Both columns exist until contract: the new one nullable and without a default, the
        trigger filling each from the other and holding the old one's default. Backfill builds
        the twins of the old column's indexes and, on PostgreSQL, a validated NOT NULL check on
        the new column. Contract leaves what ``apply`` leaves."""
        table = schema.table(self.table)
        copied = self.copy(schema, dialect)
        if phase is Phase.EXPAND:
            copied.apply_expand(schema, dialect)
            table.column(self.old).default = None
        elif phase is Phase.BACKFILL:
            self.apply_twins(schema, dialect)
            if not_null := self.not_null(schema):
                not_null.apply_expand(schema, dialect)
                not_null.apply_backfill(schema, dialect)
        elif phase is Phase.CONTRACT:
            not_null = self.not_null(schema)
            pairs, uniques = self.twins(schema, dialect), self.uniques(schema, dialect)
            default = copied.held_defaults(schema, dialect).get(self.old)
            copied.apply_drop_trigger(schema, dialect)
            table.column(self.new).default = default
            table.drop_column(self.old)
            self.apply_twin_names(schema, pairs, uniques)
            if not_null:
                not_null.apply_contract(schema, dialect)

    # --- the recipe ----------------------------------------------------------------------

    def copy(self, schema: Schema, dialect: Dialect) -> SyncedCopy:
        column = schema.table(self.table).column(self.old)
        old, new = dialect.quote(self.old), dialect.quote(self.new)
        return SyncedCopy(
            table=self.table,
            purpose=f"rename_{self.old}",
            new_columns=(detached(column, self.new),),
            forward=SyncDirection(
                sources=(self.old,),
                assignments=((self.new, old),),
                defaults=(
                    ((self.old, column.default), (self.new, column.default))
                    if column.default is not None
                    else ()
                ),
            ),
            backward=SyncDirection(sources=(self.new,), assignments=((self.old, new),)),
        )

    def not_null(self, schema: Schema) -> NotNullByCheck | None:
        nullable = schema.table(self.table).column(self.old).nullable
        return None if nullable else NotNullByCheck(self.table, self.new)

    def twins(self, schema: Schema, dialect: Dialect) -> list[tuple[Index, Index]]:
        """Each index on the old column, paired with its twin on the new one."""
        table = schema.table(self.table)
        return [
            (
                index,
                Index(
                    name=dialect.object_name(index.name),
                    columns=[self.new if c == self.old else c for c in index.columns],
                    unique=index.unique,
                    where=index.where,
                ),
            )
            for index in indexes_on(table, self.old)
        ]

    def uniques(self, schema: Schema, dialect: Dialect) -> list[tuple[str, Index]]:
        """Each unique constraint on the old column, with the unique index that will replace it."""
        table = schema.table(self.table)
        return [
            (
                unique.name,
                Index(
                    name=dialect.object_name(unique.name),
                    columns=[self.new if c == self.old else c for c in unique.columns],
                    unique=True,
                ),
            )
            for unique in table.uniques.values()
            if self.old in unique.columns and unique.name not in table.indexes
        ]

    def apply_twins(self, schema: Schema, dialect: Dialect) -> None:
        """The twins built, in the model: as indexes, or as the unique constraints a unique
        index is on servers where the two are one."""
        for _, twin in self.twins(schema, dialect) + self.uniques(schema, dialect):
            build = CreateIndex(twin.name, self.table, twin.columns, twin.unique, twin.where)
            build.apply(schema, dialect)

    def apply_twin_names(
        self, schema: Schema, pairs: list[tuple[Index, Index]], uniques: list[tuple[str, Index]]
    ) -> None:
        """Once the old column is gone with its indexes, the twins take their names, and the
        twins of unique constraints become those constraints."""
        table = schema.table(self.table)
        for index, twin in pairs:
            built = table.indexes.pop(twin.name)
            built.name = index.name
            table.indexes[index.name] = built
        for name, twin in uniques:
            table.indexes.pop(twin.name, None)
            table.uniques.pop(twin.name, None)
            table.uniques[name] = UniqueConstraint(name=name, columns=list(twin.columns))

    # --- phases --------------------------------------------------------------------------

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        statements = self.copy(schema, dialect).expand(schema, dialect)
        # The trigger now supplies the old column's default (see SyncDirection.defaults); the
        # server's own default would hide which app wrote the row.
        if schema.table(self.table).column(self.old).default is not None:
            statements.append(dialect.set_default(schema.table(self.table), self.old, None))
        return statements

    def backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        # Indexes are built after the copy: building them first would make every batch
        # maintain them, and build on a column that is still mostly NULL. The NOT NULL check
        # comes after the copy too: before it, an update of a row not yet copied would fail it.
        statements = self.copy(schema, dialect).backfill(schema, dialect)
        for _, twin in self.twins(schema, dialect) + self.uniques(schema, dialect):
            statements += dialect.create_index(self.table, twin)
        if not_null := self.not_null(schema):
            statements += not_null.expand(dialect)
            statements += not_null.backfill(self._expanded(schema, dialect), dialect)
        return statements

    def contract(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        column = schema.table(self.table).column(self.old)
        renamed = self._renamed(schema, dialect)
        # The default goes on the new column while the trigger still fills both: after the
        # trigger is gone, an insert that leaves the column out must already get it.
        statements = (
            [dialect.set_default(renamed.table(self.table), self.new, column.default)]
            if column.default is not None
            else []
        )
        statements += self.copy(schema, dialect).retire(schema.table(self.table), self.old, dialect)
        for index, twin in self.twins(schema, dialect):
            statements.append(dialect.rename_index(self.table, twin.name, index.name))
        for name, twin in self.uniques(schema, dialect):
            statements += dialect.unique_from_index(self.table, name, twin.name)
        if not_null := self.not_null(schema):
            statements += not_null.contract(renamed, dialect)
        return statements

    def undo_backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        twins = self.twins(schema, dialect) + self.uniques(schema, dialect)
        statements = [dialect.drop_index(self.table, twin.name) for _, twin in twins]
        if not_null := self.not_null(schema):
            statements += not_null.rollback(dialect)
        return statements

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        table = schema.table(self.table)
        default = table.column(self.old).default
        restore = [dialect.set_default(table, self.old, default)] if default is not None else []
        return restore + self.copy(schema, dialect).rollback(dialect)

    def _expanded(self, schema: Schema, dialect: Dialect) -> Schema:
        expanded = schema.copy()
        expanded.add_table(self.copy(schema, dialect).expanded(schema))
        return expanded

    def _renamed(self, schema: Schema, dialect: Dialect) -> Schema:
        """The table once contract has dropped the old column and set the new one's default:
        a MySQL MODIFY restates the whole column, so the model must carry the default."""
        renamed = self._expanded(schema, dialect)
        table = renamed.table(self.table)
        table.columns[self.new].default = table.column(self.old).default
        table.drop_column(self.old)
        return renamed
