"""The share-locks of a walk's chunks, taken one chunk ahead on connections of their own (a
shadow-table copy's walk, see :mod:`zdmigrate.run.shadow`).

A chunk of a copy first share-locks its rows, so that its ``INSERT … SELECT``, which holds the
shadow table's AUTO-INC lock to its end, never waits for an app (see
:mod:`zdmigrate.dialects.mysql_shadow`). That locking read is a quarter of the chunk's time.
Taken on another connection, it runs while the chunk before inserts, on the server's other
core: a copy of 1M rows in chunks of 12,000 took 3.0 s this way against 3.4–3.7 s with each
chunk locking its own rows (benchmarks/README.md).

The locks need not be the inserting transaction's own. While a holder's transaction keeps
them, no app can change those rows, so the chunk's insert, reading at READ COMMITTED, reads
them as they stay; it waits for no row, and the holder waits for nothing the insert holds (the
holder reads the original only, ``NOWAIT``). A holder commits once its chunk has, so the rows
stay locked from before the chunk's insert to after its commit. Two holders take turns: one
holds the chunk being copied, the other locks the next.

Every lock is let go whenever the walk stops between chunks (a throttle holding it, a failed
chunk's back-off before its next try, which locks its rows again, the walk's end), so that no
app waits for rows no chunk is copying. (A repair of a chunk whose check found it different,
run between two chunks, is the one wait that keeps the next chunk's rows locked: it is short,
and a fault.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

Key = tuple[Any, ...]

LockRead = Callable[[sa.Connection, "Key | None", int], "Key | None"]
"""``read(connection, after, size)``: share-lock the ``size`` rows after ``after`` (all of the
first chunk's for None), and the row after them, ``NOWAIT``; their last key, None where the
chunk runs to the walk's end (the walk's boundary read)."""


@dataclass
class _Hold:
    after: Key | None
    size: int
    connection: sa.Connection
    upto: Future[Key | None]
    """The chunk's last key (None: the chunk runs to the walk's end), once its rows are locked."""
    transaction: sa.Transaction | None = None


@dataclass
class ChunkLocks:
    """Share-locks each chunk's rows on a holder connection; :meth:`lock_ahead` starts on the
    next chunk's while this one copies."""

    read: LockRead
    idle: list[sa.Connection] = field(default_factory=list)
    """The holders' connections (two, set up as the walk's own: READ COMMITTED, the timeouts)
    that hold no chunk's locks now."""
    _current: _Hold | None = None
    _next: _Hold | None = None
    _thread: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="zdmigrate-lock")
    )

    def take(self, after: Key | None, size: int) -> tuple[Key | None, int]:
        """The last key of the chunk after ``after`` (None: it runs to the end) and its size,
        its rows locked: by the read taken ahead if it was of this chunk, else by one taken
        now. A read that failed (on a row an app holds) raises, to be retried."""
        hold, self._next = self._next, None
        if hold is None or hold.after != after:
            self._let_go(hold)
            hold = self._start(after, size)
        self._current = hold
        try:
            return hold.upto.result(), hold.size
        except BaseException:
            self.let_go()
            raise

    def lock_ahead(self, after: Key, size: int) -> None:
        """Start locking the ``size`` rows after ``after`` while the chunk up to it copies."""
        self._let_go(self._next)
        self._next = self._start(after, size)

    def copied(self) -> None:
        """The chunk taken last has committed: its rows are let go."""
        hold, self._current = self._current, None
        if hold is not None:
            if hold.transaction is not None:
                hold.transaction.commit()
            self.idle.append(hold.connection)

    def let_go(self) -> None:
        """Let go of every lock held: the walk stops between chunks (a throttle, a retry's
        back-off), or its chunk failed and is locked again at its next try."""
        for hold in (self._current, self._next):
            self._let_go(hold)
        self._current = self._next = None

    def close(self) -> None:
        self.let_go()
        self._thread.shutdown(wait=True)
        for connection in self.idle:
            connection.invalidate()  # its session settings go with it
            connection.close()
        self.idle.clear()

    def _start(self, after: Key | None, size: int) -> _Hold:
        hold = _Hold(after, size, self.idle.pop(), Future())
        hold.upto = self._thread.submit(self._lock, hold)
        return hold

    def _lock(self, hold: _Hold) -> Key | None:
        """Lock the chunk's rows in a transaction left open."""
        hold.transaction = hold.connection.begin()
        try:
            return self.read(hold.connection, hold.after, hold.size)
        except BaseException:
            hold.transaction.rollback()
            hold.transaction = None
            raise

    def _let_go(self, hold: _Hold | None) -> None:
        if hold is None:
            return
        with contextlib.suppress(Exception):  # a failed read rolled its transaction back
            hold.upto.result()
        if hold.transaction is not None:
            hold.transaction.rollback()
        self.idle.append(hold.connection)
