"""AddCheckConstraint: a CHECK on every row, new and existing.

PostgreSQL: expand adds it NOT VALID, a brief lock and no scan, after which every new write is
checked; backfill VALIDATEs the existing rows under SHARE UPDATE EXCLUSIVE, so reads and writes
go on during the scan. Both apps must write only rows that pass it from expand on.

MySQL/MariaDB check a new CHECK only by copying the table, and ``ALTER TABLE`` does that under
a lock that blocks writes for the whole copy; there is no NOT VALID. So the check is added as
a shadow-table copy, in backfill (:class:`~zdmigrate.ops.alter_table.AlterTable`, strategy
shadow: the apps write throughout, a row that fails the check stops the copy with nothing
swapped, and from the copy's start an app write that fails it fails). The check lands with the
swap; contract drops the original, kept in step until then; a rollback swaps it back. A table
the copy refuses (no key, foreign keys, triggers of its own) gets the blocking ``ALTER TABLE``,
which the plan flags, with the reason. A rollback drops the check.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from zdmigrate.alter import model_reverse_triggers
from zdmigrate.errors import InvalidOperation
from zdmigrate.ops.alter_table import AlterTable
from zdmigrate.ops.base import Operation, free_index_name, register
from zdmigrate.schema import CheckConstraint
from zdmigrate.steps import Phase

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema, Table
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True)
class AddCheckConstraint(Operation):
    name: str
    table: str
    expression: str
    """SQL over the row's columns, such as ``"amount >= 0"``."""

    def model(self, *, validated: bool) -> CheckConstraint:
        return CheckConstraint(name=self.name, expression=self.expression, validated=validated)

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        free_index_name(schema, self.table, self.name, "constraint")
        self._copy(schema, dialect)

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        schema.table(self.table).checks[self.name] = self.model(validated=True)

    def apply_phase(self, schema: Schema, dialect: Dialect, phase: Phase) -> None:
        """PostgreSQL: checked for new writes from expand on, existing rows validated in
        backfill. A copy: the check lands with the swap, in backfill, with the reverse
        triggers that keep the original in step until contract."""
        if phase is Phase.CONTRACT:
            model_reverse_triggers(schema, self.table, phase)
            return
        copied = isinstance(self._copy(schema, dialect), AlterTable)
        checks = schema.table(self.table).checks
        if phase is Phase.EXPAND and not copied:
            checks[self.name] = self.model(validated=not dialect.caps.not_valid_constraints)
        elif phase is Phase.BACKFILL:
            checks[self.name] = self.model(validated=True)
        if copied:
            model_reverse_triggers(schema, self.table, phase)

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        copy = self._copy(schema, dialect)
        if isinstance(copy, AlterTable):
            return []
        validated = not dialect.caps.not_valid_constraints
        added = dialect.add_check(self.table, self.model(validated=validated))
        if copy:  # the reason the copy was refused
            note = "; ".join(filter(None, [added.note, f"no shadow-table copy: {copy}"]))
            added = replace(added, note=note)
        return [added]

    def backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        if isinstance(copy := self._copy(schema, dialect), AlterTable):
            return copy.backfill(schema, dialect)
        if not dialect.caps.not_valid_constraints:
            return []
        return [dialect.validate_constraint(self._expanded(schema), self.name)]

    def contract(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        if isinstance(copy := self._copy(schema, dialect), AlterTable):
            return copy.contract(schema, dialect)
        return []

    def undo_backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        if isinstance(copy := self._copy(schema, dialect), AlterTable):
            return copy.undo_backfill(schema, dialect)
        return []

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        if isinstance(self._copy(schema, dialect), AlterTable):
            return []
        return [dialect.drop_constraint(self.table, self.name, "check")]

    def _copy(self, schema: Schema, dialect: Dialect) -> AlterTable | str | None:
        """Where the server has no NOT VALID, the shadow-table copy that adds the check, or
        why the table cannot have one; None where it has."""
        if dialect.caps.not_valid_constraints or dialect.shadow_sql() is None:
            return None
        spec = f"ADD CONSTRAINT {dialect.quote(self.name)} CHECK ({self.expression})"
        copy = AlterTable(self.table, spec, strategy="shadow")
        try:
            copy.validate(schema, dialect)
        except InvalidOperation as exc:
            return str(exc)
        return copy

    def _expanded(self, schema: Schema) -> Table:
        table = copy.deepcopy(schema.table(self.table))
        table.checks[self.name] = self.model(validated=False)
        return table
