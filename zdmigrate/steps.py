"""Steps are data: one SQL statement, the phase it runs in, and what it costs the database.

Dialects build :class:`Statement` objects (SQL text plus lock facts); operations place them
in a phase, which makes them :class:`Step` objects. Runners execute steps; the planner reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Literal


class Phase(StrEnum):
    EXPAND = "expand"
    BACKFILL = "backfill"
    CONTRACT = "contract"
    ROLLBACK = "rollback"


RUN_ORDER: tuple[Phase, ...] = (Phase.EXPAND, Phase.BACKFILL, Phase.CONTRACT)


@dataclass(frozen=True)
class BatchedUpdate:
    """An UPDATE run in key-ordered batches, each in its own short transaction.

    ``assignments`` maps column → SQL expression over the row's columns; ``where`` narrows the
    rows. The runner walks ``key`` (the primary key or a unique NOT NULL key) in batches.
    """

    table: str
    key: tuple[str, ...]
    assignments: tuple[tuple[str, str], ...]
    where: str | None = None
    copy: bool = False
    """A synced copy's fill: it reads only the columns its own operation keeps in step (no other
    operation of the migration may write them) and writes only its new ones. Copies of one table
    by one key are run as one pass (see :func:`zdmigrate.migration.one_pass_per_table`)."""


@dataclass(frozen=True)
class ShadowCopy:
    """A table rebuilt as a copy with a new definition, while the apps write to it (MySQL):
    the shadow table built by ``spec``, triggers that apply every write of the original to it,
    a copy of the rows in key-ordered chunks, each verified by a checksum, and one atomic
    RENAME TABLE that swaps the copy in and keeps the original as ``old``, kept in step by
    reverse triggers until contract. :mod:`zdmigrate.run.shadow` runs it (and undoes it: a
    statement with a copy in a rollback stands for its undoing)."""

    table: str
    spec: str
    """The ALTER TABLE specification the shadow table gets."""
    key: tuple[str, ...]
    """The walk's key: the primary key or a unique NOT NULL key both tables keep."""
    key_index: str
    """The name of the key's index ("PRIMARY"), as the server's duplicate-key warnings give it."""
    shadow: str
    old: str
    """The name the original keeps after the swap, until contract drops it."""
    triggers: tuple[str, str, str]
    """The names of the insert, update and delete triggers on the original."""
    reverse: tuple[str, str, str]
    """The names of the insert, update and delete triggers that keep ``old`` in step with the
    new table from the swap to contract, so that a rollback loses no write."""
    new_unique: bool = False
    """The shadow table has a unique key the original lacks: a trigger's REPLACE of a row
    that collides on it would drop the other row, so the row counts of both tables are
    compared before the swap."""


@dataclass(frozen=True)
class Statement:
    sql: str
    lock: str
    """The strongest lock the statement takes, in the dialect's words ("ACCESS EXCLUSIVE")."""
    blocks: tuple[str, ...] = ()
    """What other sessions cannot do while the lock is held: "reads", "writes"."""
    transactional: bool = True
    """False for statements that must run outside a transaction (CREATE INDEX CONCURRENTLY)."""
    rewrite: bool = False
    scan: bool = False
    online: bool = True
    """False where the lock in ``blocks`` is held for the length of the work (a rewrite or a
    scan under ACCESS EXCLUSIVE, ALGORITHM=COPY), not just briefly at its start and end. The
    planner reads a rewrite or scan of an online statement as done while traffic goes on."""
    note: str | None = None
    """Why the statement is shaped as it is, or what to do where it is not online."""
    table: str | None = None
    expect_no_rows: bool = False
    """A query whose every row is a violation (a foreign-key check done by a scan)."""
    fence: Literal["open", "close"] | None = None
    """Opens or closes statements that must run together on one session, as MySQL's LOCK
    TABLES … UNLOCK TABLES: a runner runs them as one group and records them after the last."""
    batched: BatchedUpdate | None = field(default=None, compare=False)
    shadow: ShadowCopy | None = field(default=None, compare=False)
    """A shadow-table copy this statement stands for in plans; runners run the copy."""


@dataclass(frozen=True)
class Step:
    phase: Phase
    operation: str
    statement: Statement
    undoes: Phase | None = None
    """For a rollback step: the phase whose change it undoes. It runs only if that phase ran."""
    position: int | None = None
    """The 1-based position in its migration of the operation it comes from."""

    @property
    def sql(self) -> str:
        return self.statement.sql

    def to_dict(self) -> dict[str, object]:
        s = self.statement
        return {
            "operation": self.operation,
            "sql": s.sql,
            "transactional": s.transactional,
            "lock": s.lock,
            "blocks": list(s.blocks),
            "rewrite": s.rewrite,
            "scan": s.scan,
            "batched": s.batched is not None or s.shadow is not None,
            "online": s.online,
            "note": s.note,
            "table": s.table,
            **({"undoes": str(self.undoes)} if self.undoes else {}),
        }


def add_note(statement: Statement, note: str) -> Statement:
    """``statement`` with ``note`` after the note it already has."""
    return replace(statement, note=f"{statement.note}; {note}" if statement.note else note)
