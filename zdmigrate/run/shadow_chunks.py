"""The chunks of a shadow-table copy (MySQL/MariaDB): each one copied, its warnings read, and,
with ``verify_copy``, checked on a second connection while the next chunks copy.

Copy. :class:`ChunkCopy` is the backfill walk's work for one chunk, whose rows (and the row
after them) the walk's boundary read has share-locked: one ``INSERT IGNORE … SELECT … LOCK IN
SHARE MODE``, then every warning it raised. Any warning but the duplicate key of a row the
triggers placed first means the copy would lose data (a value out of range or cut short, a
duplicate on a new unique key) and stops it, unless ``allow_data_loss``: then each is logged
and the chunk is not checked.

Check. Once a chunk has committed, :class:`Verifier`'s thread sums it, the original's rows and
the shadow table's, in one non-locking statement: one snapshot. The triggers write the shadow
table in the apps' own transactions, so in any snapshot taken after the chunk committed both
tables hold the same rows of it, however the apps wrote since; a difference is a fault. The
check runs on the server's other core while the copy goes on, and takes no lock an app waits
for. A chunk that differs is repaired by the copying thread between two chunks (never beside
one: the two would deadlock over the shadow table's AUTO-INC lock), in one transaction: its
rows locked as the copy locks them, the shadow table's rows the original lacks deleted, every
row copied again over what is there, and both tables summed again; up to
:data:`VERIFY_ATTEMPTS` times, then the copy stops.

Checkpoints. With checks, a chunk's checkpoint is written once it is checked, in order, so that
a run cut short goes on from the last checked chunk: those copied after it are copied again
(``INSERT IGNORE`` keeps what is there, which the triggers kept in step) and checked.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from zdmigrate.errors import CopyStopped
from zdmigrate.steps import Phase

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.dialects.mysql_shadow import CopiedColumns, ShadowSQL
    from zdmigrate.run.backfill import Key
    from zdmigrate.run.options import RunOptions
    from zdmigrate.steps import ShadowCopy

log = logging.getLogger("zdmigrate.run.shadow")

VERIFY_ATTEMPTS = 3
"""Repairs of one chunk before a checksum that still differs stops the copy."""

BENIGN_DUPLICATE = "1062"

WAIT_S = 0.05
"""How often the copying thread, waiting for the last checks, looks for a repair to run."""


@dataclass(frozen=True)
class Chunks:
    """What every chunk of one copy shares."""

    engine: sa.Engine
    dialect: Dialect
    sql: ShadowSQL
    copy: ShadowCopy
    copied: CopiedColumns
    options: RunOptions
    migration: str
    session: list[str]
    """Settings for a connection that copies: the walk's, which a repair's takes too."""
    read_committed: bool
    """Whether those settings make it read at READ COMMITTED (see ``copy_chunk_sql``)."""

    def stopped(self, binds: dict[str, Any], reason: str) -> CopyStopped:
        return CopyStopped(
            self.migration,
            str(Phase.BACKFILL),
            f"copy of {self.copy.table} after {after(binds)}",
            f"{reason}; stopped, nothing swapped",
        )

    def lossy(self, connection: sa.Connection, binds: dict[str, Any]) -> bool:
        """Whether the statement just run lost data: any warning but a duplicate of the walk's
        key (a row the triggers placed first, which is the newer one). Stops the copy at the
        first, unless ``allow_data_loss``: then each is logged."""
        lost = False
        for level, code, message in connection.exec_driver_sql("SHOW WARNINGS").all():
            if str(code) == BENIGN_DUPLICATE and _names_key(message, self.copy.key_index):
                continue
            where = f"{self.copy.table}: the copy would lose data ({level} {code}: {message})"
            if not self.options.allow_data_loss:
                raise self.stopped(binds, where)
            log.warning("%s, after %s; allowed", where.replace("would lose", "loses"), after(binds))
            lost = True
        return lost


@dataclass
class ChunkCopy:
    """One chunk of the copy, a :data:`~zdmigrate.run.backfill.BatchWork` of the backfill
    engine's walk; with a ``verifier``, handed to it to check once committed."""

    chunks: Chunks
    verifier: Verifier | None

    def __call__(self, connection: sa.Connection, binds: dict[str, Any], first: bool) -> int:
        c = self.chunks
        if self.verifier is not None:
            self.verifier.raise_failure()
        insert = c.sql.copy_chunk_sql(c.copy, c.copied, first=first, locking=not c.read_committed)
        inserted = int(connection.execute(sa.text(insert), binds).rowcount)
        lossy = c.lossy(connection, binds)
        if self.verifier is not None:
            self.verifier.copied(_Chunk(binds, first, inserted, check=not lossy))
        return inserted


@dataclass
class _Chunk:
    binds: dict[str, Any]
    first: bool
    rows: int
    check: bool
    """False for a chunk allowed to lose data: it differs by design."""
    key: Key | None = None
    """Its checkpoint, once the walk has given it."""


@dataclass
class Verifier:
    """Checks each committed chunk on a thread and a connection of its own, repairs through the
    copying thread, and writes the checkpoints (see the module).

    The copying thread calls :meth:`copied` and :meth:`checkpoint` inside a chunk's
    transaction, :meth:`committed` after its commit, and :meth:`finish` after the last;
    :meth:`close` in any case."""

    chunks: Chunks
    on_checkpoint: Callable[[Key, int], None]
    _pending: _Chunk | None = None
    _todo: queue.Queue[_Chunk | None] = field(default_factory=queue.Queue)
    _repairs: queue.Queue[_Chunk] = field(default_factory=queue.Queue)
    _repaired: queue.Queue[BaseException | None] = field(default_factory=queue.Queue)
    _failure: BaseException | None = None
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="zdmigrate-verify", daemon=True)
        self._thread.start()

    # --- the copying thread ------------------------------------------------------------------

    def copied(self, chunk: _Chunk) -> None:
        self._pending = chunk

    def checkpoint(self, key: Key, rows: int) -> None:
        """The walk's checkpoint of the chunk just copied, kept until it is checked."""
        assert self._pending is not None
        self._pending.key = key

    def committed(self) -> None:
        """The chunk just copied has committed: its check is queued; a repair the checks have
        asked for meanwhile is run."""
        if self._pending is not None and self._pending.key is not None:
            self._todo.put(self._pending)
        self._pending = None
        self._serve_repairs(wait=False)
        self.raise_failure()

    def finish(self) -> None:
        """Wait for every chunk's check (running the repairs they ask for)."""
        self._todo.put(None)
        while self._thread is not None and self._thread.is_alive():
            self._serve_repairs(wait=True)
        self.raise_failure()

    def close(self) -> None:
        """Stop the checks, without waiting for those queued."""
        if self._thread is not None and self._thread.is_alive():
            self._failure = self._failure or _Closed()
            self._todo.put(None)
            self._repaired.put(self._failure)
            self._thread.join()

    def raise_failure(self) -> None:
        if self._failure is not None and not isinstance(self._failure, _Closed):
            raise self._failure

    def _serve_repairs(self, *, wait: bool) -> None:
        try:
            chunk = self._repairs.get(timeout=WAIT_S) if wait else self._repairs.get_nowait()
        except queue.Empty:
            return
        try:
            self._repair(chunk)
        except BaseException as exc:
            self._repaired.put(exc)
            raise
        self._repaired.put(None)

    def _repair(self, chunk: _Chunk) -> None:
        """Make the chunk equal to the original, in one transaction: its rows locked as the
        copy locks them, the shadow's extra rows deleted, every row copied over what is
        there, both tables summed again. A lock wait past the timeout or a deadlock is tried
        again, as a chunk's is."""
        c, binds, first = self.chunks, chunk.binds, chunk.first
        statements = [
            c.sql.lock_chunk_sql(c.copy, first=first),
            c.sql.delete_extra_sql(c.copy, first=first),
            c.sql.copy_chunk_sql(
                c.copy, c.copied, first=first, locking=not c.read_committed, overwrite=True
            ),
        ]
        sums = sa.text(c.sql.both_sums_sql(c.copy, c.copied, first=first))

        def attempt(connection: sa.Connection) -> tuple[bool, Any]:
            with connection.begin():
                connection.exec_driver_sql(c.dialect.backfill_session_sql())
                for sql in statements:
                    connection.execute(sa.text(sql), binds)
                lossy = c.lossy(connection, binds)
                counts = connection.execute(sums, binds).one()
            return lossy, counts

        with c.engine.connect() as connection:
            try:
                with connection.begin():
                    for setting in c.session:
                        connection.exec_driver_sql(setting)
                for _ in range(VERIFY_ATTEMPTS):
                    log.warning(
                        "%s: the chunk after %s differs from the original; copying it again",
                        c.copy.table,
                        after(binds),
                    )
                    lossy, (n, summed, held_n, held_summed) = c.options.retried(
                        lambda: attempt(connection),
                        retryable=lambda exc: (
                            isinstance(exc, sa.exc.DBAPIError) and c.dialect.retryable(exc)
                        ),
                        on_retry=lambda exc, retry, delay: log.warning(
                            "%s: repair of the chunk after %s: %s; again in %.1f s",
                            c.copy.table,
                            after(binds),
                            exc,
                            delay,
                        ),
                    )
                    if lossy or (n, summed) == (held_n, held_summed):
                        return
            finally:
                connection.invalidate()  # its session settings go with it
        raise c.stopped(
            binds,
            f"{c.copy.table}: the chunk after {after(binds)} still differs from the original "
            f"after {VERIFY_ATTEMPTS} copies ({held_n} rows against {n})",
        )

    # --- the checking thread -----------------------------------------------------------------

    def _run(self) -> None:
        c = self.chunks
        try:
            with c.engine.connect() as connection:
                while (chunk := self._todo.get()) is not None:
                    if self._failure is not None:
                        return
                    rows = chunk.rows
                    if chunk.check:
                        differs, rows = self._differs(connection, chunk)
                        if differs:
                            self._repairs.put(chunk)
                            if (failure := self._repaired.get()) is not None:
                                self._failure = self._failure or failure
                                return
                    assert chunk.key is not None
                    self.on_checkpoint(chunk.key, rows)
        except BaseException as exc:
            self._failure = self._failure or exc

    def _differs(self, connection: sa.Connection, chunk: _Chunk) -> tuple[bool, int]:
        """Whether the chunk differs from the original; and the rows the original holds in
        it, which its checkpoint counts as copied: a chunk copied before a kill and walked
        again after it inserts none, its rows being there already."""
        c = self.chunks
        sums = sa.text(c.sql.both_sums_sql(c.copy, c.copied, first=chunk.first))
        n, summed, held_n, held_summed = connection.execute(sums, chunk.binds).one()
        connection.rollback()
        return (n, summed) != (held_n, held_summed), int(n)


class _Closed(Exception):
    """The checks were stopped by the copying thread."""


def _names_key(message: str, key_index: str) -> bool:
    # MariaDB: "… for key 'PRIMARY'"; MySQL 8: "… for key 'table.PRIMARY'".
    return message.endswith((f"'{key_index}'", f".{key_index}'"))


def after(binds: dict[str, Any]) -> str:
    after = [v for k, v in sorted(binds.items()) if k.startswith("after")]
    return f"key {tuple(after)}" if after else "the start"
