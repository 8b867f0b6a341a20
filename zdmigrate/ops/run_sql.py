"""RunSQL: the escape hatch, SQL the user writes, run in the phase they name.

``RunSQL(sql, phase="expand", reverse=None, lock=None, transactional=True)``. RunSQL is opaque
to the schema model: ``apply`` changes nothing, so later operations do not see what the SQL
made, and the planner can only report the lock the user declares (``lock=``, in the server's
words such as "ACCESS EXCLUSIVE"; "unknown" until declared) — it will analyse the SQL later.

``reverse`` runs on rollback, where ``phase`` was expand or backfill; rollback never runs after
contract, so a reverse for contract SQL is refused rather than silently never run. The declared
lock is reported for the reverse too.

Several statements separated by ``;`` are split (see :mod:`zdmigrate.dialects.script`) and run
one per driver call: PyMySQL takes one statement per call, and PostgreSQL runs a several-statement
string as one implicit transaction, where CREATE INDEX CONCURRENTLY is refused. Transactional
statements of one RunSQL still share a transaction where DDL is transactional.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from zdmigrate.errors import InvalidOperation
from zdmigrate.ops.base import Operation, register
from zdmigrate.steps import Phase

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement

PHASES = (Phase.EXPAND, Phase.BACKFILL, Phase.CONTRACT)
UNKNOWN_LOCK = "unknown"


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
        """Opaque to the schema model: nothing changes in it."""

    def expand(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return self._statements(Phase.EXPAND, self.sql, dialect)

    def backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return self._statements(Phase.BACKFILL, self.sql, dialect)

    def contract(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return self._statements(Phase.CONTRACT, self.sql, dialect)

    def undo_backfill(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return self._statements(Phase.BACKFILL, self.reverse, dialect)

    def rollback(self, schema: Schema, dialect: Dialect) -> list[Statement]:
        return self._statements(Phase.EXPAND, self.reverse, dialect)

    def _statements(self, phase: Phase, sql: str | None, dialect: Dialect) -> list[Statement]:
        """The statements of ``sql`` if this operation runs in ``phase``, else none."""
        if self.phase != phase or sql is None:
            return []
        note = None if self.lock else "declare lock= so the planner can judge it"
        return [
            dialect.statement(
                statement,
                self.lock or UNKNOWN_LOCK,
                transactional=self.transactional,
                note=note,
            )
            for statement in dialect.split_script(sql)
        ]
