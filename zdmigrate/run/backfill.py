"""The batched backfill engine: one :class:`~zdmigrate.steps.BatchedUpdate` run over a whole
table in short transactions — resumable, sized to a target time, throttled, and watched.

The walk. Batches follow ``update.key`` (the primary key, or a unique NOT NULL key; compile
refuses a table with neither) from ``resume_after``, or from the start. Before the first batch
the engine reads the key of the table's last row, the walk's end: a row the apps insert past it
came after the sync triggers, which filled it already, so the walk ends however fast they
insert. Each batch is one transaction on one connection:

    mark the transaction as the backfill's  (the sync triggers leave its writes alone)
    boundary := the key ``size`` rows on, up to the end     (an index-only scan of the key)
    UPDATE … WHERE key > after AND key <= boundary AND where  (a range scan of the key's index)
    on_checkpoint(boundary, rows changed)                     (see :func:`run_backfill`)
    COMMIT

Batch size. Each batch's duration moves the next one's size toward ``target_batch_ms`` (at
most halving or doubling it), within ``min_batch_size`` … ``max_batch_size``: row locks are
held for about the target, whatever the rows cost. A retried batch halves the size.

Retries. A lock wait past ``lock_timeout_ms``, a deadlock or a serialization failure rolls the
batch back, which is then run again after a back-off with jitter, up to ``max_retries`` times.

What makes a batch cheap, measured against one UPDATE of the whole table (numbers in
benchmarks/README.md): the sync trigger is skipped in its WHEN clause rather than inside its
function; batches commit without waiting for the WAL flush (``synchronous_commit = off`` for
this connection only, see :meth:`~zdmigrate.dialects.base.Dialect.backfill_connection_sql`);
indexed columns are restated (``col = col``) where PostgreSQL would otherwise search the heap
for dead versions on every index insert (see
:meth:`~zdmigrate.dialects.base.Dialect.restated_columns_sql`); batches of about 50 ms keep
the per-batch round trips to a few percent; the compiled ``where`` leaves rows that already hold the
right value alone, so a batch run again is cheap.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from zdmigrate.engine import driver_reason
from zdmigrate.run.chunk_locks import ChunkLocks, Key
from zdmigrate.run.progress import Progress
from zdmigrate.run.state import BATCH_CONNECTION
from zdmigrate.run.throttle import Throttle, probe_on
from zdmigrate.schema import split_name

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.run.options import RunOptions
    from zdmigrate.steps import BatchedUpdate

log = logging.getLogger("zdmigrate.run.backfill")

__all__ = ["BatchSizer", "BatchWork", "Key", "run_backfill", "session_settings"]


BatchWork = Callable[[sa.Connection, dict[str, Any], bool], int]
"""A batch's writes in place of the UPDATE: ``work(connection, binds, first)`` over the rows
after :after… (unless ``first``) up to :upto…, returning the rows it wrote. The boundary read
before it share-locks the batch's rows (a shadow-table copy's chunk: an app's write to one of
them waits for the chunk rather than deadlock with it)."""


def run_backfill(
    engine: sa.Engine,
    dialect: Dialect,
    update: BatchedUpdate,
    *,
    options: RunOptions,
    resume_after: Key | None,
    on_checkpoint: Callable[[Key | None, int], None],
    is_paused: Callable[[], bool],
    label: str,
    work: BatchWork | None = None,
    session: tuple[list[str], list[str]] = ([], []),
    after_commit: Callable[[], None] | None = None,
    lock_ahead: bool = False,
) -> int:
    """Run ``update`` over the rows after ``resume_after`` (all rows when None) to the end of
    the table; returns the number of rows it changed.

    ``on_checkpoint(last_key, rows)`` is called inside each batch's transaction, after its
    UPDATE and before its COMMIT, with the batch's last key and the rows that batch changed;
    for the batch that ends the walk ``last_key`` is None (a table with no rows gets that one
    call). While it runs, :data:`zdmigrate.run.state.BATCH_CONNECTION` holds the batch's
    connection: a checkpoint written on it commits with the batch, exactly once, and a batch
    lost to a crash (its commit was asynchronous) loses its checkpoint with it. A checkpoint
    written on another connection of the same server commits after the batch, and its own
    commit flushes the WAL that holds the batch's.

    ``is_paused()`` is asked between batches, with the other throttles (see
    :class:`~zdmigrate.run.throttle.Throttle`). Bad throttle options raise BadInput before
    the first batch; a load at its critical level raises CriticalLoad between batches.

    ``work`` runs each batch's writes instead of ``update``'s UPDATE, which then gives only
    the table and the key to walk; ``session``: settings for the batches' connection, and
    their resets; ``after_commit()`` is called after each batch's COMMIT; ``lock_ahead``: the
    work reads the rows its boundary read locked without locking them again, so each batch's
    rows may be locked on connections of their own, the next batch's while this one writes
    (:mod:`zdmigrate.run.chunk_locks`); not with rests between batches.
    """
    settings = session_settings(dialect, options) + session[0]
    with engine.connect() as connection:
        walk = _Walk.start(connection, dialect, update, resume_after, work)
        progress = Progress(label, options, walk.rows_left)
        throttle = Throttle(
            dialect,
            options,
            probe=probe_on(connection),
            is_paused=is_paused,
            progress=progress,
            label=label,
        )
        try:
            _set(connection, settings)
            if lock_ahead and work is not None and walk.end is not None and not options.sleep_ratio:
                walk.locks = ChunkLocks(walk.lock_chunk)
                for _ in range(2):
                    walk.locks.idle.append(engine.connect())
                    _set(walk.locks.idle[-1], settings)
            changed = _run(
                connection, walk, options, on_checkpoint, throttle, progress, after_commit
            )
            _set(connection, _session_resets(dialect) + session[1])
        except BaseException:
            # Whatever the session still has set (the backfill mark on MySQL, timeouts) must
            # not reach the pool's next user.
            connection.invalidate()
            raise
        finally:
            if walk.locks is not None:
                walk.locks.close()
            throttle.close()
            progress.close()
    return changed


def _run(
    connection: sa.Connection,
    walk: _Walk,
    options: RunOptions,
    on_checkpoint: Callable[[Key | None, int], None],
    throttle: Throttle,
    progress: Progress,
    after_commit: Callable[[], None] | None,
) -> int:
    dialect = walk.dialect
    sizer = BatchSizer.for_options(options)
    changed = 0
    while True:
        throttle.wait(before_holding=walk.let_go)

        def retrying(exc: Exception, attempt: int, delay: float) -> None:
            assert isinstance(exc, sa.exc.DBAPIError)
            progress.retry(
                attempt=attempt,
                limit=options.max_retries,
                code=dialect.error_code(exc),
                error=driver_reason(exc),
                delay=delay,
            )
            sizer.contended()

        batch = options.retried(
            lambda: walk.batch(connection, sizer.size, on_checkpoint),
            retryable=lambda exc: isinstance(exc, sa.exc.DBAPIError) and dialect.retryable(exc),
            on_retry=retrying,
        )
        if after_commit is not None:
            after_commit()
        changed += batch.rows_changed
        walked = batch.rows_walked
        if walked is None:  # the last batch: whatever the estimate left
            total = progress.metrics.rows_total or 0
            walked = max(total - progress.metrics.rows_done, 0)
        progress.batch(
            rows_walked=walked,
            rows_changed=batch.rows_changed,
            size=sizer.size,
            seconds=batch.seconds,
        )
        if batch.rows_walked is None:
            progress.done()
            return changed
        sizer.measured(batch.seconds)
        throttle.rest(batch.seconds)


@dataclass(frozen=True)
class BatchResult:
    rows_changed: int
    rows_walked: int | None
    """The rows the batch covered; None for the last batch, which covers what is left."""
    seconds: float


@dataclass
class _Walk:
    """The keyset walk over one table: where it is and the statements it runs."""

    dialect: Dialect
    update: BatchedUpdate
    after: Key | None
    end: Key | None
    """The key of the table's last row when the backfill started; None: the table was empty."""
    restate: tuple[str, ...]
    rows_left: int | None
    work: BatchWork | None = None
    locks: ChunkLocks | None = None
    """With ``work``, and no rest between batches: each batch's rows locked on connections of
    their own, the next batch's while this one writes (see :mod:`zdmigrate.run.chunk_locks`)."""

    @classmethod
    def start(
        cls,
        connection: sa.Connection,
        dialect: Dialect,
        update: BatchedUpdate,
        after: Key | None,
        work: BatchWork | None = None,
    ) -> _Walk:
        """Read the walk's end, the columns to restate and the rows left to walk."""
        schema, name = split_name(update.table)
        table = {"table": dialect.table(update.table), "schema": schema, "name": name}
        with connection.begin():
            row = connection.execute(sa.text(dialect.batch_end_sql(update))).first()
            end = None if row is None else tuple(row)
            restate: tuple[str, ...] = ()
            if sql := dialect.restated_columns_sql():
                skip = {*update.key, *(column for column, _ in update.assignments)}
                names = connection.execute(sa.text(sql), table).scalars()
                restate = tuple(sorted(name for name in names if name not in skip))
            rows_left = 0 if end is None else None
            if end is not None and after is None and (estimate := dialect.row_estimate_sql()):
                rows_left = connection.execute(sa.text(estimate), table).scalar()
            if end is not None and (rows_left is None or rows_left <= 0):
                # Never analysed, or resuming: count the key range that is left.
                count = dialect.batch_range_count_sql(update, first=after is None)
                rows_left = connection.execute(
                    sa.text(count), _bind("after", after) | _bind("end", end)
                ).scalar()
        if restate:
            log.debug("%s: batches restate %s", update.table, ", ".join(restate))
        return cls(dialect, update, after, end, restate, rows_left, work)

    def batch(
        self,
        connection: sa.Connection,
        size: int,
        on_checkpoint: Callable[[Key | None, int], None],
    ) -> BatchResult:
        """Run the next batch of up to ``size`` rows in its own transaction."""
        dialect, update = self.dialect, self.update
        first = self.after is None
        started = time.monotonic()
        try:
            with connection.begin():
                upto = rows = None
                if self.end is not None:
                    connection.exec_driver_sql(dialect.backfill_session_sql())
                    if self.work is None:
                        upto = self._boundary(connection, self.after, size)
                    elif self.locks is None:
                        upto = self.lock_chunk(connection, self.after, size)
                    else:
                        wanted = size  # the next batch's too, one measure behind
                        upto, size = self.locks.take(self.after, wanted)
                        if upto is not None:
                            self.locks.lock_ahead(upto, wanted)
                    binds = _bind("after", self.after) | _bind("upto", upto or self.end)
                    if self.work is not None:
                        rows = self.work(connection, binds, first)
                    else:
                        sql = dialect.batch_update_sql(
                            update, first=first, last=False, restate=self.restate
                        )
                        rows = connection.execute(sa.text(sql), binds).rowcount
                token = BATCH_CONNECTION.set(connection)
                try:
                    on_checkpoint(upto, rows or 0)
                finally:
                    BATCH_CONNECTION.reset(token)
        except BaseException:
            self.let_go()
            raise
        if self.locks is not None:
            self.locks.copied()
        self.after = upto
        return BatchResult(
            rows_changed=rows or 0,
            rows_walked=None if upto is None else size,
            seconds=time.monotonic() - started,
        )

    def _boundary(
        self, connection: sa.Connection, after: Key | None, size: int, *, locking: bool = False
    ) -> Key | None:
        """The key of the last of the ``size`` rows after ``after``; None where they reach
        the walk's end (no row that far, or the end itself)."""
        dialect, update = self.dialect, self.update
        boundary = dialect.batch_boundary_sql(
            update, first=after is None, bounded=True, rows=2 if locking else 1
        )
        if locking:
            boundary = dialect.locking_read(boundary, nowait=True)
        binds = _bind("after", after) | _bind("end", self.end) | {"offset": size - 1}
        row = connection.execute(sa.text(boundary), binds).first()
        return None if row is None or tuple(row) == self.end else tuple(row)

    def lock_chunk(self, connection: sa.Connection, after: Key | None, size: int) -> Key | None:
        """The boundary of a batch of ``work``: its rows share-locked, and the row after them,
        which the work's own locking read of the range locks too, as the end of its scan;
        giving way (a retryable error) rather than wait for a row another holds."""
        return self._boundary(connection, after, size, locking=True)

    def let_go(self) -> None:
        """The walk stops between batches: no row stays locked ahead (see ``locks``)."""
        if self.locks is not None:
            self.locks.let_go()


@dataclass
class BatchSizer:
    """The size of the next batch: moved toward the target time by each batch's duration."""

    size: int
    smallest: int
    largest: int
    target_seconds: float

    @classmethod
    def for_options(cls, options: RunOptions) -> BatchSizer:
        return cls(
            options.batch_size,
            options.min_batch_size,
            options.max_batch_size,
            options.target_batch_ms / 1000,
        )

    def measured(self, seconds: float) -> None:
        """A full batch of ``size`` rows took ``seconds``."""
        factor = min(max(self.target_seconds / max(seconds, 1e-6), 0.5), 2.0)
        self._resize(self.size * factor)

    def contended(self) -> None:
        """A batch failed on a lock or a conflict: fewer rows hold fewer locks."""
        self._resize(self.size / 2)

    def _resize(self, size: float) -> None:
        self.size = min(max(round(size), self.smallest), self.largest)


def _bind(prefix: str, key: Key | None) -> dict[str, Any]:
    """``key`` as the bind parameters :prefix0, :prefix1, … (none for None)."""
    return {} if key is None else {f"{prefix}{i}": v for i, v in enumerate(key)}


def session_settings(dialect: Dialect, options: RunOptions) -> list[str]:
    timeouts = dialect.timeouts_sql(
        lock_timeout_ms=options.lock_timeout_ms,
        statement_timeout_ms=options.statement_timeout_ms,
        local=False,
    )
    return [*timeouts, *dialect.backfill_connection_sql(on=True)]


def _session_resets(dialect: Dialect) -> list[str]:
    end = dialect.backfill_session_end_sql()
    return [
        *dialect.reset_timeouts_sql(),
        *dialect.backfill_connection_sql(on=False),
        *([end] if end else []),
    ]


def _set(connection: sa.Connection, statements: list[str]) -> None:
    with connection.begin():
        for sql in statements:
            connection.exec_driver_sql(sql)
