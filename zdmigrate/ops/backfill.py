"""Backfill: fill existing rows with values computed from each row, in batches.

``Backfill("orders", set={"total_eur": "total_cents / 100.0"}, where="total_eur IS NULL")``
runs one UPDATE in backfill, walked in key order, each batch its own short transaction: only
the rows of one batch are locked at a time, so the apps' writes go on. There is no schema
change, and nothing undoes it on rollback: the rows keep the values it wrote.

A rerun (after a rollback, or a resumed backfill) runs it again over every row, so the
assignments should be idempotent; ``where`` keeps it to the rows still to do. Its writes carry
the backfill's session mark, which sync triggers of other operations leave alone: fill the new
side of a rename or transform through that operation, not with a Backfill.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from zdmigrate.errors import InvalidOperation
from zdmigrate.ops.base import Operation, columns_exist, key_of, register
from zdmigrate.steps import BatchedUpdate

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True)
class Backfill(Operation):
    table: str
    set: dict[str, str] = field(hash=False)
    """Column → SQL expression over the row's columns (the dialect's SQL, as written)."""
    where: str | None = None

    def written_columns(self) -> builtins.set[tuple[str, str]]:  # `set` is a field here
        return {(self.table, column) for column in self.set}

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        if not self.set:
            raise InvalidOperation(f"Backfill of {self.table!r} sets no column", table=self.table)
        columns_exist(schema, self.table, list(self.set))
        key_of(schema, self.table)

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        """Data only: the schema stays as it is."""

    def backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        update = BatchedUpdate(
            table=self.table,
            key=key_of(schema, self.table),
            assignments=tuple(self.set.items()),
            where=self.where,
        )
        return [dialect.backfill(update)]
