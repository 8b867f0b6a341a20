"""Recipes more than one operation follows, written once.

- :class:`SyncedCopy`: new columns kept in step with old ones by a trigger, both ways, filled by
  a batched backfill. Rename, type change and transform are all this recipe.
- :class:`NotNullByCheck`: make a column NOT NULL without a long lock. On PostgreSQL a
  ``CHECK (col IS NOT NULL) NOT VALID`` is added (brief lock, no scan), validated under SHARE
  UPDATE EXCLUSIVE (reads and writes go on), and SET NOT NULL then uses it instead of scanning.
  Elsewhere the change is an online in-place rebuild in contract.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zdmigrate.dialects import SyncDirection
from zdmigrate.ops.base import key_of
from zdmigrate.schema import CheckConstraint, Column, Index, Trigger, split_name
from zdmigrate.steps import BatchedUpdate

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema, Table
    from zdmigrate.steps import Statement


@dataclass(frozen=True)
class NotNullByCheck:
    table: str
    column: str

    def check(self, dialect: Dialect) -> CheckConstraint:
        name = dialect.object_name(split_name(self.table)[1], self.column, "nn")
        return CheckConstraint(
            name=name, expression=dialect.is_not_null(self.column), validated=False
        )

    def expand(self, dialect: Dialect) -> list[Statement]:
        if not dialect.caps.not_valid_constraints:
            return []
        return [dialect.add_check(self.table, self.check(dialect))]

    def backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        if not dialect.caps.not_valid_constraints:
            return []
        return [
            dialect.validate_constraint(
                self._with_check(schema, dialect, validated=False), self.check(dialect).name
            )
        ]

    def contract(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        if not dialect.caps.not_valid_constraints:
            return [dialect.set_nullable(schema.table(self.table), self.column, False)]
        check = self.check(dialect)
        return [
            dialect.set_nullable(
                self._with_check(schema, dialect, validated=True), self.column, False
            ),
            dialect.drop_constraint(self.table, check.name, "check"),
        ]

    def rollback(self, dialect: Dialect) -> list[Statement]:
        if not dialect.caps.not_valid_constraints:
            return []
        return [dialect.drop_constraint(self.table, self.check(dialect).name, "check")]

    # What each step leaves on the server, in the schema model: the check NOT VALID, validated,
    # then gone once the column is NOT NULL. Without NOT VALID only the last step is there.

    def apply_expand(self, schema: Schema, dialect: Dialect) -> None:
        if dialect.caps.not_valid_constraints:
            table = schema.table(self.table)
            check = self.check(dialect)
            check.expression = dialect.normalize_expression(check.expression, table.column_types())
            table.checks[check.name] = check

    def apply_backfill(self, schema: Schema, dialect: Dialect) -> None:
        check = schema.table(self.table).checks.get(self.check(dialect).name)
        if check is not None:
            check.validated = True

    def apply_contract(self, schema: Schema, dialect: Dialect) -> None:
        table = schema.table(self.table)
        table.column(self.column).nullable = False
        table.checks.pop(self.check(dialect).name, None)

    def _with_check(self, schema: Schema, dialect: Dialect, *, validated: bool) -> Table:
        table = copy.deepcopy(schema.table(self.table))
        check = self.check(dialect)
        check.validated = validated
        table.checks[check.name] = check
        return table


@dataclass(frozen=True)
class SyncedCopy:
    """New columns on ``table``, written by the new app, kept equal to ``forward`` expressions of
    the old columns (written by the old app), and the old ones to ``backward`` expressions of the
    new ones.

    Expand adds the new columns (nullable, without default, so that a NULL after an insert means
    "this app did not write it") and the trigger; backfill fills existing rows in batches;
    contract drops the trigger and whatever the operation retires; rollback drops both.
    """

    table: str
    purpose: str
    new_columns: tuple[Column, ...]
    forward: SyncDirection
    backward: SyncDirection | None

    def trigger(self, dialect: Dialect) -> str:
        return dialect.object_name(split_name(self.table)[1], self.purpose)

    def expanded(self, schema: Schema) -> Table:
        """The table as expand leaves it: old columns and new ones side by side."""
        table = copy.deepcopy(schema.table(self.table))
        for column in self.new_columns:
            table.columns[column.name] = column
        return table

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        statements = [dialect.add_column(self.table, c) for c in self.new_columns]
        statements += dialect.create_sync_trigger(
            self.expanded(schema), self.trigger(dialect), self.forward, self.backward
        )
        return statements

    def backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        differs = " OR ".join(
            dialect.distinct(dialect.quote(target), expression)
            for target, expression in self.forward.assignments
        )
        update = BatchedUpdate(
            table=self.table,
            key=key_of(schema, self.table),
            assignments=self.forward.assignments,
            where=differs,
            copy=True,
        )
        return [dialect.backfill(update)]

    def drop_trigger(self, dialect: Dialect) -> list[Statement]:
        return dialect.drop_sync_trigger(self.table, self.trigger(dialect))

    def retire(self, table: Table, column: str, dialect: Dialect) -> list[Statement]:
        """The trigger dropped, then ``column`` of ``table``, an old column it fills, with no
        insert landing between: the new app leaves the column out, which a NOT NULL column
        without a default refuses once no trigger fills it. Where DDL is transactional the
        contract's one transaction sees to that. Elsewhere a drop that changes only the catalog
        is fenced with the trigger's by LOCK TABLES; one that rebuilds the table is preceded by
        making the column nullable (an online in-place rebuild), not held under the lock.

        Where the server would shrink an index or unique key of several columns rather than
        drop it with the column (MySQL), it is dropped first: its twin on the new column takes
        its name afterwards, which the shrunken key would still hold."""
        keys = [(i.name, i.columns, "index") for i in table.indexes.values()]
        keys += [(u.name, u.columns, "unique") for u in table.uniques.values()]
        shrinking = [
            (name, kind)
            for name, columns, kind in keys
            if column in columns and len(columns) > 1 and dialect.caps.drop_column_shrinks_indexes
        ]
        before = [
            dialect.drop_index(self.table, name)
            if kind == "index"
            else dialect.drop_constraint(self.table, name, kind)
            for name, kind in shrinking
        ]
        dropped = {name for name, _ in shrinking}
        indexed = any(column in cols for name, cols, _ in keys if name not in dropped)
        drop = dialect.drop_column(self.table, column, indexed=indexed)
        statements = [*self.drop_trigger(dialect), drop]
        if dialect.caps.transactional_ddl or table.column(column).nullable:
            return before + statements
        if not drop.rewrite:
            return before + dialect.atomically(self.table, statements)
        return [*before, dialect.set_nullable(table, column, True), *statements]

    def rollback(self, dialect: Dialect) -> list[Statement]:
        return self.drop_trigger(dialect) + [
            dialect.drop_column(self.table, c.name) for c in self.new_columns
        ]

    def apply_expand(self, schema: Schema, dialect: Dialect) -> None:
        """The new columns and the trigger that fills each side from the other, in the model."""
        table = schema.table(self.table)
        for column in self.new_columns:
            table.columns[column.name] = copy.deepcopy(column)
        fills = self.forward.targets + (self.backward.targets if self.backward else ())
        add_triggers(table, self.trigger(dialect), dialect, fills, dict(self.forward.defaults))

    def apply_drop_trigger(self, schema: Schema, dialect: Dialect) -> None:
        drop_triggers(schema.table(self.table), self.trigger(dialect), dialect)

    def held_defaults(self, schema: Schema, dialect: Dialect) -> dict[str, str]:
        """The defaults the trigger holds in the model (a rename's old server default)."""
        table = schema.table(self.table)
        for name in dialect.row_trigger_names(self.trigger(dialect)):
            if name in table.triggers:
                return dict(table.triggers[name].defaults)
        return {}


def detached(column: Column, name: str) -> Column:
    """``column`` as a synced copy adds it: nullable, no default, filled by the trigger."""
    return Column(name=name, type=column.type, nullable=True)


def indexes_on(table: Table, column: str) -> list[Index]:
    return [i for i in table.indexes.values() if column in i.columns]


# --- triggers in the schema model ----------------------------------------------------------


def add_triggers(
    table: Table,
    name: str,
    dialect: Dialect,
    fills: tuple[str, ...] | list[str],
    defaults: dict[str, str] | None = None,
) -> None:
    """The row triggers zdmigrate makes for ``name`` on ``table``, filling ``fills``."""
    for trigger in dialect.row_trigger_names(name):
        table.triggers[trigger] = Trigger(
            name=trigger, fills=list(fills), defaults=dict(defaults or {})
        )


def drop_triggers(table: Table, name: str, dialect: Dialect) -> None:
    for trigger in dialect.row_trigger_names(name):
        table.triggers.pop(trigger, None)
