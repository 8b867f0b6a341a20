"""AddCheckConstraint: a CHECK on every row, new and existing.

PostgreSQL: expand adds it NOT VALID, a brief lock and no scan, after which every new write is
checked; backfill VALIDATEs the existing rows under SHARE UPDATE EXCLUSIVE, so reads and writes
go on during the scan. Both apps must write only rows that pass it from expand on.

MySQL/MariaDB check a new CHECK only by copying the table, which blocks writes for the length
of the copy; there is no NOT VALID. The statement says so (not online); the better route for a
large table is a shadow-table copy (``zdmigrate alter``, not built yet). A rollback drops it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

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

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        schema.table(self.table).checks[self.name] = self.model(validated=True)

    def apply_phase(self, schema: Schema, dialect: Dialect, phase: Phase) -> None:
        """Checked for new writes from expand on; existing rows are validated in backfill."""
        checks = schema.table(self.table).checks
        if phase is Phase.EXPAND:
            checks[self.name] = self.model(validated=not dialect.caps.not_valid_constraints)
        elif phase is Phase.BACKFILL:
            checks[self.name].validated = True

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        validated = not dialect.caps.not_valid_constraints
        return [dialect.add_check(self.table, self.model(validated=validated))]

    def backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        if not dialect.caps.not_valid_constraints:
            return []
        return [dialect.validate_constraint(self._expanded(schema), self.name)]

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return [dialect.drop_constraint(self.table, self.name, "check")]

    def _expanded(self, schema: Schema) -> Table:
        table = copy.deepcopy(schema.table(self.table))
        table.checks[self.name] = self.model(validated=False)
        return table
