"""SetNotNull: a nullable column becomes NOT NULL without a long lock.

The recipe is :class:`~zdmigrate.ops.recipes.NotNullByCheck`. On PostgreSQL expand adds
``CHECK (col IS NOT NULL) NOT VALID`` (a brief lock and no scan; new writes are checked from
then on), backfill fills the existing NULLs in batches and VALIDATEs the check under SHARE UPDATE
EXCLUSIVE (reads and writes go on), and contract's SET NOT NULL uses the validated check instead
of scanning the table under ACCESS EXCLUSIVE (PostgreSQL 12+). MySQL/MariaDB have no NOT VALID:
backfill fills, then scans for a NULL left over, and contract rebuilds the table in place
(``ALGORITHM=INPLACE, LOCK=NONE``: reads and writes go on).

With ``fill`` (a SQL expression over the row's columns, such as ``"0"`` or ``"created_at"``),
expand also installs a trigger that turns a NULL written into the column into ``fill``: the old
app does not know the rule and may write NULLs while both apps run. Contract drops it once the
old app is gone. Without ``fill`` a NULL makes backfill fail, loudly, before the new app is
deployed, and on PostgreSQL writes of NULL are refused from expand on. A rollback drops the
check and the trigger; values the fill wrote stay (they replaced NULLs, nothing was lost).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from zdmigrate.errors import InvalidOperation
from zdmigrate.ops.base import Operation, key_of, register
from zdmigrate.ops.recipes import NotNullByCheck, add_triggers, drop_triggers
from zdmigrate.schema import split_name
from zdmigrate.steps import BatchedUpdate, Phase

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True)
class SetNotNull(Operation):
    table: str
    column: str
    fill: str | None = None
    """SQL expression that replaces NULLs, in existing rows and in writes while apps overlap."""

    def written_columns(self) -> set[tuple[str, str]]:
        return {(self.table, self.column)} if self.fill is not None else set()

    def recipe(self) -> NotNullByCheck:
        return NotNullByCheck(self.table, self.column)

    def trigger(self, dialect: Dialect) -> str:
        return dialect.object_name(split_name(self.table)[1], self.column, "fill")

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        column = schema.table(self.table).column(self.column)
        refused = None
        if not column.nullable:
            refused = "is NOT NULL already"
        elif self.fill is not None and column.generated:
            refused = "is a generated column: the server computes it, nothing can fill it"
        if refused:
            raise InvalidOperation(
                f"cannot set column {self.column!r} of {self.table!r} NOT NULL: it {refused}",
                table=self.table,
                column=self.column,
            )
        if self.fill is not None:
            key_of(schema, self.table)

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        schema.table(self.table).column(self.column).nullable = False

    def apply_phase(self, schema: Schema, dialect: Dialect, phase: Phase) -> None:
        """The column stays nullable until contract. Before, the fill trigger fills it and (on
        PostgreSQL) the NOT NULL check refuses a NULL in new writes, validated in backfill."""
        recipe = self.recipe()
        if phase is Phase.EXPAND:
            if self.fill is not None:
                table = schema.table(self.table)
                add_triggers(table, self.trigger(dialect), dialect, [self.column])
            recipe.apply_expand(schema, dialect)
        elif phase is Phase.BACKFILL:
            recipe.apply_backfill(schema, dialect)
        elif phase is Phase.CONTRACT:
            if self.fill is not None:
                drop_triggers(schema.table(self.table), self.trigger(dialect), dialect)
            recipe.apply_contract(schema, dialect)

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        statements: list[Statement] = []
        if self.fill is not None:
            # The trigger first: the check must never meet a NULL the old app writes.
            statements += dialect.create_fill_trigger(
                schema.table(self.table), self.trigger(dialect), self.column, self.fill
            )
        return statements + self.recipe().expand(dialect)

    def backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        statements: list[Statement] = []
        if self.fill is not None:
            fill = BatchedUpdate(
                table=self.table,
                key=key_of(schema, self.table),
                assignments=((self.column, self.fill),),
                where=dialect.is_null(self.column),
            )
            statements.append(dialect.backfill(fill))
        if dialect.caps.not_valid_constraints:
            return statements + self.recipe().backfill(schema, dialect)
        # No VALIDATE here: a scan for a NULL stands in, so that one fails now, before the new
        # app is deployed, rather than in contract's rebuild.
        return [*statements, dialect.violating_rows(self.table, self.recipe().check(dialect))]

    def contract(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        statements: list[Statement] = []
        if self.fill is not None:
            statements += dialect.drop_sync_trigger(self.table, self.trigger(dialect))
        return statements + self.recipe().contract(schema, dialect)

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        statements = self.recipe().rollback(dialect)
        if self.fill is not None:
            statements += dialect.drop_sync_trigger(self.table, self.trigger(dialect))
        return statements
