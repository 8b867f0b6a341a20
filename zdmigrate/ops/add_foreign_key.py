"""AddForeignKey: new writes are checked from expand on, existing rows in backfill.

PostgreSQL: expand adds it NOT VALID, a brief SHARE ROW EXCLUSIVE lock on both tables and no
scan; backfill VALIDATEs it under SHARE UPDATE EXCLUSIVE, so reads and writes go on. MySQL and
MariaDB add a foreign key in place (``ALGORITHM=INPLACE, LOCK=NONE``) only with the session's
``foreign_key_checks`` off, which also skips checking the existing rows: expand turns the checks
off for that one ALTER and back on (the executor runs a phase's steps on one connection, so the
setting reaches the ALTER), and backfill scans for an orphan row instead, failing loudly if one
comes back. InnoDB adds an index on the columns where none leads with them; a rollback drops it
with the constraint.

The referenced columns must be the referenced table's primary key or a unique key.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from zdmigrate.errors import InvalidOperation
from zdmigrate.ops.base import Operation, column_list, columns_exist, free_index_name, register
from zdmigrate.schema import ForeignKey
from zdmigrate.steps import Phase

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema, Table
    from zdmigrate.steps import Statement

ACTIONS = ("CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION")


@register
@dataclass(frozen=True)
class AddForeignKey(Operation):
    name: str
    table: str
    columns: list[str] = field(hash=False)
    ref_table: str
    ref_columns: list[str] = field(hash=False)
    on_delete: str | None = None
    on_update: str | None = None

    def model(self, dialect: Dialect, *, validated: bool) -> ForeignKey:
        return ForeignKey(
            name=self.name,
            columns=list(self.columns),
            ref_table=self.ref_table,
            ref_columns=list(self.ref_columns),
            on_delete=dialect.normalize_referential_action(self.on_delete),
            on_update=dialect.normalize_referential_action(self.on_update),
            validated=validated,
        )

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        owner = f"foreign key {self.name!r} on {self.table!r}"
        column_list(self.columns, owner, self.table)
        column_list(self.ref_columns, owner, self.table, "ref_columns")
        columns_exist(schema, self.table, self.columns)
        free_index_name(schema, self.table, self.name, "constraint")
        ref = schema.table(self.ref_table)
        columns_exist(schema, self.ref_table, self.ref_columns)
        keys = [u.columns for u in ref.uniques.values()] + [
            i.columns for i in ref.indexes.values() if i.unique and i.valid and i.where is None
        ]
        if ref.primary_key:
            keys.append(ref.primary_key.columns)
        refused = None
        if not self.columns or len(self.columns) != len(self.ref_columns):
            refused = "needs as many referenced columns as columns, and at least one"
        elif not any(set(key) == set(self.ref_columns) for key in keys):
            refused = (
                f"references {self.ref_table}({', '.join(self.ref_columns)}), "
                "which is not its primary key or a unique key"
            )
        elif bad := [a for a in (self.on_delete, self.on_update) if a and a.upper() not in ACTIONS]:
            refused = f"has the action {bad[0]!r}; expected one of {', '.join(ACTIONS)}"
        if refused:
            raise InvalidOperation(
                f"foreign key {self.name!r} on {self.table!r} {refused}",
                table=self.table,
                column=self.columns[0] if self.columns else None,
            )

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        # The index InnoDB adds for the key is not modelled while the key exists: reflection
        # leaves it out too, as CreateTable's model does.
        schema.table(self.table).foreign_keys[self.name] = self.model(dialect, validated=True)

    def apply_phase(self, schema: Schema, dialect: Dialect, phase: Phase) -> None:
        """Checked for new writes from expand on; the existing rows are checked in backfill (by
        VALIDATE, or by a scan where the key was added with the checks off)."""
        foreign_keys = schema.table(self.table).foreign_keys
        if phase is Phase.EXPAND:
            foreign_keys[self.name] = self.model(dialect, validated=False)
        elif phase is Phase.BACKFILL:
            foreign_keys[self.name].validated = True

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        add = dialect.add_foreign_key(self.table, self.model(dialect, validated=False))
        if dialect.caps.foreign_key_validation_scan:
            return [dialect.foreign_key_checks(False), add, dialect.foreign_key_checks(True)]
        return [add]

    def backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return [dialect.validate_constraint(self._expanded(schema, dialect), self.name)]

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        statements = [dialect.drop_constraint(self.table, self.name, "foreign key")]
        fk = self.model(dialect, validated=True)
        if index := dialect.foreign_key_index(schema.table(self.table), fk):
            statements.append(dialect.drop_index(self.table, index.name))
        return statements

    def _expanded(self, schema: Schema, dialect: Dialect) -> Table:
        table = copy.deepcopy(schema.table(self.table))
        table.foreign_keys[self.name] = self.model(dialect, validated=False)
        return table
