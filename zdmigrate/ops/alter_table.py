"""AlterTable: one ALTER TABLE specification on MySQL/MariaDB, made the way the server allows.

``AlterTable(table, spec, strategy="auto")``, ``spec`` as after ``ALTER TABLE table`` (without
``ALGORITHM=`` or ``LOCK=``). The strategy is :func:`zdmigrate.alter.decide_alter`'s, from the
analyser's reading of the server and version (``strategy`` forces one):

- **instant** or **inplace**: the ALTER with its algorithm named, in expand;
- **shadow**: a shadow-table copy (:mod:`zdmigrate.run.shadow`) in backfill, which ends with
  the swap; the original stays under its ``…_zdm_old`` name, kept in step by reverse
  triggers, until contract drops them and it (``keep_old``: the table stays). A rollback
  swaps the original back, if the copy was swapped in, and drops the copy and its triggers.

An instant or in-place change has no reverse zdmigrate could know: its rollback is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from zdmigrate.errors import BadInput, InvalidOperation
from zdmigrate.ops.base import Operation, register
from zdmigrate.steps import Phase

if TYPE_CHECKING:
    from zdmigrate.alter import AlterPlan
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement


@register
@dataclass(frozen=True)
class AlterTable(Operation):
    table: str
    spec: str
    strategy: str = "auto"
    keep_old: bool = False
    """Contract keeps the original (no longer in step) under its ``…_zdm_old`` name."""

    def plan(self, schema: Schema, dialect: Dialect) -> AlterPlan:
        from zdmigrate.alter import decide_alter

        try:
            return decide_alter(schema, dialect, self.table, self.spec, self.strategy)
        except BadInput as exc:
            raise InvalidOperation(str(exc), table=self.table) from None

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        self.plan(schema, dialect)

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        after = self.plan(schema, dialect).after
        assert after is not None
        for f in fields(schema):
            setattr(schema, f.name, getattr(after, f.name))

    def apply_phase(self, schema: Schema, dialect: Dialect, phase: Phase) -> None:
        """A copy's change lands with its swap, at the end of backfill, with the reverse
        triggers that keep the original in step until contract drops them."""
        from zdmigrate.alter import model_reverse_triggers

        if phase is Phase.CONTRACT:
            model_reverse_triggers(schema, self.table, phase)
            return
        copied = self.plan(schema, dialect).copy is not None
        if phase == (Phase.BACKFILL if copied else Phase.EXPAND):
            self.apply(schema, dialect)
        if copied:
            model_reverse_triggers(schema, self.table, phase)

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        planned = self.plan(schema, dialect)
        return [] if planned.copy else [planned.statement]

    def backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        planned = self.plan(schema, dialect)
        return [planned.statement] if planned.copy else []

    def contract(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        copy, sql = self.plan(schema, dialect).copy, dialect.shadow_sql()
        if copy is None or sql is None:
            return []
        return sql.contracted(copy, keep_old=self.keep_old)

    def undo_backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        copy, sql = self.plan(schema, dialect).copy, dialect.shadow_sql()
        if copy is None or sql is None:
            return []
        return [sql.undone(copy)]

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        if self.plan(schema, dialect).copy is not None:
            return []
        return [
            dialect.statement(
                "SELECT 1",
                "none",
                transactional=False,
                expect_no_rows=True,
                note=f"AlterTable on {self.table!r} has no reverse: undo it with a new migration",
            )
        ]
