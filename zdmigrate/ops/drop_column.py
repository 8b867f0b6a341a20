"""DropColumn: the old app reads and writes the column until it is gone; the new app never
mentions it.

Contract drops it, once the old app has stopped. Before that, the new app's inserts leave the
column out, which a NOT NULL column without a server default would refuse; so expand makes such
a column nullable (PostgreSQL: a catalog change, no scan; MySQL/MariaDB: an online in-place
rebuild) and rollback makes it NOT NULL again. Contract first drops, one by one, the foreign
keys, indexes and constraints that use the column, then the column: MySQL/MariaDB would refuse
the drop over a foreign key or a multi-column CHECK, and would quietly shrink a multi-column
index (a unique one to a stricter key) rather than drop it as PostgreSQL does.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zdmigrate.errors import InvalidOperation
from zdmigrate.ops.base import Operation, register
from zdmigrate.steps import Phase, add_note

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True)
class DropColumn(Operation):
    table: str
    column: str

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        table = schema.table(self.table)
        table.column(self.column)
        reasons = [
            f"foreign key {fk.name!r} of table {referencing.qualified_name!r} references it "
            "(drop that first)"
            for referencing, fk in schema.foreign_keys_to(self.table)
            if self.column in fk.ref_columns
        ]
        if table.primary_key and self.column in table.primary_key.columns:
            reasons.insert(0, "it is part of the primary key")
        if len(table.columns) == 1:
            reasons.insert(0, "it is the table's only column (drop the table instead)")
        if reasons:
            raise InvalidOperation(
                f"cannot drop column {self.column!r} of {self.table!r}: {reasons[0]}",
                table=self.table,
                column=self.column,
            )

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        schema.table(self.table).drop_column(self.column)

    def apply_phase(self, schema: Schema, dialect: Dialect, phase: Phase) -> None:
        """Expand loosens a column the new app's inserts could not leave out; contract drops it."""
        if phase is Phase.EXPAND and self.loosens(schema):
            schema.table(self.table).column(self.column).nullable = True
        elif phase is Phase.CONTRACT:
            self.apply(schema, dialect)

    def loosens(self, schema: Schema) -> bool:
        """The new app's inserts would fail on the column as it is: expand makes it nullable."""
        return not schema.table(self.table).column(self.column).server_fills

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        if not self.loosens(schema):
            return []
        statement = dialect.set_nullable(schema.table(self.table), self.column, True)
        return [add_note(statement, "the new app's inserts leave the column out")]

    def contract(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        table = schema.table(self.table)
        kept = copy.deepcopy(table)
        kept.drop_column(self.column)
        fks = [name for name in table.foreign_keys if name not in kept.foreign_keys]
        statements = [dialect.drop_constraint(self.table, name, "foreign key") for name in fks]
        statements += [
            dialect.drop_constraint(self.table, name, "unique")
            for name in table.uniques
            if name not in kept.uniques
        ]
        statements += [
            dialect.drop_index(self.table, name)
            for name in table.indexes
            if name not in kept.indexes and name not in table.uniques
        ]
        statements += [
            dialect.drop_constraint(self.table, name, "check")
            for name in table.checks
            if name not in kept.checks
        ]
        # A foreign key can leave behind an index the server made for it (MySQL/MariaDB).
        statements.append(dialect.drop_column(self.table, self.column, indexed=bool(fks)))
        return statements

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        if not self.loosens(schema):
            return []
        statement = dialect.set_nullable(schema.table(self.table), self.column, False)
        return [
            add_note(
                statement,
                "fails if the new app inserted rows without the column: give them a value first",
            )
        ]
