"""RunSQL: the escape hatch, SQL the user writes, run in the phase they name.

``RunSQL(sql, phase="expand", reverse=None, lock=None, transactional=True)``. The SQL is read
by :mod:`zdmigrate.analyze` (a real parser for each server): ``apply`` carries what it makes into
the schema model, so later operations and the planner see it, and each statement gets the lock
facts the analyser finds. A lock declared with ``lock=`` (in the server's words, such as
"ACCESS EXCLUSIVE") is taken as given instead.

``reverse`` runs on rollback, where ``phase`` was expand or backfill; rollback never runs after
contract, so a reverse for contract SQL is refused rather than silently never run. The declared
lock is reported for the reverse too.

Several statements separated by ``;`` are split (see :mod:`zdmigrate.dialects.script`) and run
one per driver call: PyMySQL takes one statement per call, and PostgreSQL runs a several-statement
string as one implicit transaction, where CREATE INDEX CONCURRENTLY is refused. Transactional
statements of one RunSQL still share a transaction where DDL is transactional.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

from zdmigrate.errors import InvalidOperation
from zdmigrate.ops.base import Operation, register
from zdmigrate.steps import Phase

if TYPE_CHECKING:
    from zdmigrate.analyze import Analysis
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement

PHASES = (Phase.EXPAND, Phase.BACKFILL, Phase.CONTRACT)


@register
@dataclass(frozen=True)
class RunSQL(Operation):
    sql: str
    phase: str = "expand"
    reverse: str | None = None
    lock: str | None = None
    transactional: bool = True

    def validate(self, schema: Schema, dialect: Dialect) -> None:
        if self.phase not in PHASES:
            raise InvalidOperation(
                f"RunSQL phase {self.phase!r}: expected one of {', '.join(PHASES)}"
            )
        if not dialect.split_script(self.sql):
            raise InvalidOperation("RunSQL has no statement to run")
        if self.reverse is not None and self.phase == Phase.CONTRACT:
            raise InvalidOperation(
                "RunSQL in contract cannot have a reverse: rollback never runs after contract"
            )

    def apply(self, schema: Schema, dialect: Dialect) -> None:
        """What the SQL makes, as far as the analyser can read it."""
        after = self.analysis(schema, dialect).schema
        for f in fields(schema):
            setattr(schema, f.name, getattr(after, f.name))

    def apply_phase(self, schema: Schema, dialect: Dialect, phase: Phase) -> None:
        """The SQL's effect lands in the phase it runs in."""
        if phase == self.phase:
            self.apply(schema, dialect)

    def analysis(self, schema: Schema, dialect: Dialect, sql: str | None = None) -> Analysis:
        """``sql`` (default: this operation's SQL) read by the analyser, from ``schema``."""
        from zdmigrate.analyze import analyze

        return analyze(self.sql if sql is None else sql, dialect, schema)

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return self._statements(Phase.EXPAND, self.sql, schema, dialect)

    def backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return self._statements(Phase.BACKFILL, self.sql, schema, dialect)

    def contract(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return self._statements(Phase.CONTRACT, self.sql, schema, dialect)

    def undo_backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return self._statements(Phase.BACKFILL, self.reverse, schema, dialect)

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return self._statements(Phase.EXPAND, self.reverse, schema, dialect)

    def _statements(
        self, phase: Phase, sql: str | None, schema: Schema, dialect: Dialect
    ) -> list[Statement]:
        """The statements of ``sql`` if this operation runs in ``phase``, else none."""
        if self.phase != phase or sql is None:
            return []
        if self.lock is not None:
            return [
                dialect.statement(statement, self.lock, transactional=self.transactional)
                for statement in dialect.split_script(sql)
            ]
        return [
            replace(
                analysed.statement,
                transactional=analysed.statement.transactional and self.transactional,
            )
            for analysed in self.analysis(schema, dialect, sql).statements
        ]
