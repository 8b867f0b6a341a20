"""The simple executor: runs a compiled migration's phases on a database, in order, unthrottled.

It keeps no state between calls. Given :class:`~zdmigrate.run.options.RunOptions`, a statement
whose lock blocks the apps runs under a short lock timeout and is retried (see
:func:`run_group`); without, statements wait as long as the server lets them. The staged runner
(:mod:`zdmigrate.run.runner`: state, resume, throttling) builds on :func:`run_group`; tests and
small databases can use this module directly.

Statements run as the step says: transactional ones together in one transaction per run of
consecutive transactional steps (on servers whose DDL is transactional), the others on their
own in autocommit. A batched backfill walks the table's key in batches of ``batch_size`` rows,
each batch its own short transaction marked as the backfill's so the sync triggers leave it alone.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import sqlalchemy as sa

from zdmigrate.engine import driver_reason, open_connection
from zdmigrate.errors import ExecutionError
from zdmigrate.run.backfill import run_backfill
from zdmigrate.run.options import RunOptions
from zdmigrate.steps import Phase, Step

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.migration import CompiledMigration
    from zdmigrate.steps import BatchedUpdate

log = logging.getLogger("zdmigrate.run")


def run_batched(
    engine: sa.Engine, dialect: Dialect, update: BatchedUpdate, batch_size: int = 1000
) -> int:
    """Run a batched update to the end in batches of ``batch_size`` rows, unthrottled and
    without checkpoints; returns the number of rows it changed. The walk is the backfill
    engine's (:func:`zdmigrate.run.backfill.run_backfill`)."""
    fixed = RunOptions(batch_size=batch_size, min_batch_size=batch_size, max_batch_size=batch_size)
    return run_backfill(
        engine,
        dialect,
        update,
        options=fixed,
        resume_after=None,
        on_checkpoint=lambda key, rows: None,
        is_paused=lambda: False,
        label=f"backfill of {update.table}",
    )


def run_steps(
    engine: sa.Engine,
    dialect: Dialect,
    steps: list[Step],
    *,
    migration: str,
    batch_size: int = 1000,
    undoing: bool = False,
    options: RunOptions | None = None,
) -> None:
    """Run ``steps`` in order. A failure raises ExecutionError naming the statement that failed;
    a server that does not answer raises ConnectionFailed.

    ``undoing``: the steps are a rollback, which skips a statement that drops what is not there
    (see ``_undo``). ``options``: lock timeouts and retries (see :func:`run_group`).

    The steps share one connection, so that a session setting one step makes reaches the steps
    after it: MySQL adds a foreign key in place only between ``SET SESSION foreign_key_checks``
    = 0 and = 1, and steps that each took a connection from the pool could land on different
    ones. After a failure the connection is discarded rather than returned to the pool, so that
    a setting the failed run left in force never reaches the pool's next user.
    """
    if not steps:
        return
    with open_connection(engine) as connection:
        for group in transaction_groups(steps, dialect):
            try:
                _run_group(
                    engine, connection, dialect, group, migration, batch_size, undoing, options
                )
            except sa.exc.DBAPIError as exc:  # a batch, or the COMMIT after the last statement
                connection.invalidate()
                raise _failed(migration, group[-1], exc) from exc
            except ExecutionError:
                connection.invalidate()
                raise


def _run_group(
    engine: sa.Engine,
    connection: sa.Connection,
    dialect: Dialect,
    group: list[Step],
    migration: str,
    batch_size: int,
    undoing: bool,
    options: RunOptions | None,
) -> None:
    statement = group[0].statement
    if statement.shadow is not None:
        # They run their DDL by run_group.
        from zdmigrate.run.shadow import run_shadow_copy, undo_shadow_copy

        options = options or RunOptions()
        if undoing:
            undo_shadow_copy(
                engine, dialect, statement.shadow, options=options, migration=migration
            )
            return
        rows = run_shadow_copy(
            engine,
            dialect,
            statement.shadow,
            options=options,
            resume_after=None,
            on_checkpoint=lambda key, rows: None,
            is_paused=lambda: False,
            migration=migration,
            label=f"copy of {statement.shadow.table}",
        )
        log.info("%s %s: copied %d rows", migration, group[0].phase, rows)
        return
    if statement.batched is not None:
        # Batches take their own connection: each is its own short transaction.
        rows = run_batched(engine, dialect, statement.batched, batch_size)
        log.info("%s %s: backfilled %d rows", migration, group[0].phase, rows)
        return
    run_group(connection, dialect, group, migration=migration, options=options, undoing=undoing)


def run_group(
    connection: sa.Connection,
    dialect: Dialect,
    group: list[Step],
    *,
    migration: str,
    options: RunOptions | None = None,
    undoing: bool = False,
    resuming: bool = False,
    record: Callable[[sa.Connection, int], None] | None = None,
    done: int = 0,
    also_lock: tuple[str, ...] = (),
) -> None:
    """Run one group of :func:`transaction_groups`: transactional steps in one transaction, one
    step outside any, or the steps of a fence (see :func:`_attempt_fence`).

    With ``options``, a group whose locks block reads or writes runs under the lock timeout and
    the DDL statement timeout: a statement waiting for its lock holds up every app query that
    queues behind it, so it gives up soon and the group is tried again after a back-off with
    jitter, up to ``options.max_retries`` times. A deadlock or serialization failure is retried
    the same way.

    ``record(connection, n)`` notes that the group's first ``n`` steps are done. It runs inside
    the group's transaction after its statements, so that a runner's note of the work done
    commits with the work (for a step outside a transaction, in a transaction of its own right
    after it; in a fence, after each step). ``resuming``: the group is the first after an
    interruption, so a step outside a transaction may have been done already (see
    :meth:`Dialect.already_applied`) and an index it builds may be there, valid or not.
    ``done``: steps of a fence that an interrupted run recorded, not to run again;
    ``also_lock``: the tables a fence locks besides its own, those ``record`` writes.
    """
    progress = [done]

    def attempt() -> None:
        if group[0].statement.fence == "open":
            _attempt_fence(
                connection, dialect, group, migration, options, undoing, record, also_lock, progress
            )
        else:
            _attempt(connection, dialect, group, migration, options, undoing, resuming, record)

    if options is None:
        attempt()
        return

    def retryable(exc: Exception) -> bool:
        cause = exc.__cause__
        return isinstance(exc, ExecutionError) and cause is not None and dialect.retryable(cause)

    def retrying(exc: Exception, retry: int, delay: float) -> None:
        assert isinstance(exc, ExecutionError)
        log.warning(
            "%s %s: %s; retry %d of %d in %.0f ms: %s",
            migration,
            exc.phase,
            exc.reason,
            retry,
            options.max_retries,
            delay * 1000,
            " ".join(exc.sql.split())[:200],
        )

    try:
        options.retried(attempt, retryable=retryable, on_retry=retrying)
    except ExecutionError as exc:
        if retryable(exc):
            exc.reason = f"{exc.reason} (gave up after {options.max_retries} retries)"
            exc.args = (f"{exc.migration} {exc.phase}: {exc.reason}",)
        raise


def _attempt(
    connection: sa.Connection,
    dialect: Dialect,
    group: list[Step],
    migration: str,
    options: RunOptions | None,
    undoing: bool,
    resuming: bool,
    record: Callable[[sa.Connection, int], None] | None,
) -> None:
    inside = group[0].statement.transactional
    timeouts = _timeouts(dialect, group, options, local=inside)
    if not inside:
        connection.execution_options(isolation_level="AUTOCOMMIT")
    try:
        with connection.begin():
            for sql in timeouts:
                connection.exec_driver_sql(sql)
            if not inside:
                _run_outside(connection, dialect, group[0], migration, undoing, resuming)
            else:
                for step in group:
                    _run_step(connection, dialect, step, migration, undoing)
                if record is not None:
                    record(connection, len(group))
    except BaseException as exc:
        # The session's settings must not outlive the attempt (not every server can scope
        # them to a transaction); a connection that broke is discarded by the caller anyway,
        # so its error is the one worth reporting.
        with contextlib.suppress(sa.exc.DBAPIError):
            _reset(connection, dialect, timeouts)
        if isinstance(exc, sa.exc.DBAPIError):  # the COMMIT
            raise _failed(migration, group[-1], exc) from exc
        raise
    _reset(connection, dialect, timeouts)
    if not inside and record is not None:
        with connection.begin():
            record(connection, len(group))


def _attempt_fence(
    connection: sa.Connection,
    dialect: Dialect,
    group: list[Step],
    migration: str,
    options: RunOptions | None,
    undoing: bool,
    record: Callable[[sa.Connection, int], None] | None,
    also_lock: tuple[str, ...],
    progress: list[int],
) -> None:
    """A fence (MySQL's LOCK TABLES … UNLOCK TABLES) on one session, in autocommit: its DDL
    commits statement by statement anyway. The lock is taken again on every attempt (it went
    with a failed attempt or a killed session), with ``also_lock`` so that ``record`` may write
    the runner's state under it; then each step not yet done (``progress[0]`` counts the
    group's steps done), each recorded as soon as it is done, so that an interruption repeats
    at most the one step it cut short; then the unlock. A failed attempt gives the table locks
    back at once, not after the back-off before the next one."""
    opening, *members, closing = group
    widened = opening.sql + "".join(f", {dialect.table(t)} WRITE" for t in also_lock)
    lock = replace(opening, statement=replace(opening.statement, sql=widened))
    timeouts = _timeouts(dialect, group, options, local=False)
    connection.execution_options(isolation_level="AUTOCOMMIT")
    try:
        with connection.begin():
            for sql in timeouts:
                connection.exec_driver_sql(sql)
            _execute(connection, lock, migration)
            for index, step in enumerate(members, start=1):
                if index < progress[0]:
                    continue
                _run_step(connection, dialect, step, migration, undoing)
                progress[0] = index + 1
                if record is not None:
                    record(connection, index + 1)
            _execute(connection, closing, migration)
            if record is not None:
                record(connection, len(group))
    except BaseException as exc:
        with contextlib.suppress(sa.exc.DBAPIError), connection.begin():
            connection.exec_driver_sql(closing.sql)
        with contextlib.suppress(sa.exc.DBAPIError):
            _reset(connection, dialect, timeouts)
        if isinstance(exc, sa.exc.DBAPIError):
            raise _failed(migration, group[-1], exc) from exc
        raise
    _reset(connection, dialect, timeouts)


def _run_step(
    connection: sa.Connection, dialect: Dialect, step: Step, migration: str, undoing: bool
) -> None:
    """One step of a group that runs in order: undone (skipped where there is nothing to undo)
    or executed."""
    if undoing:
        _undo(connection, step, migration, dialect)
    else:
        _execute(connection, step, migration)


def _run_outside(
    connection: sa.Connection,
    dialect: Dialect,
    step: Step,
    migration: str,
    undoing: bool,
    resuming: bool,
) -> None:
    """One step outside a transaction (autocommit)."""
    if undoing:
        _undo(connection, step, migration, dialect)
        return
    if (build := dialect.index_build(step.statement)) is not None:
        valid = connection.execute(
            sa.text(dialect.index_validity_sql()), {"schema": build.schema, "name": build.name}
        ).scalar()
        if valid and resuming:
            log.info("%s %s: index %s was built already", migration, step.phase, build.name)
            return
        if valid is False:
            # A build that failed or was cancelled leaves the index INVALID: not used by
            # queries but still maintained on every write, and in the way of a new build.
            log.warning("%s %s: dropping the invalid index %s", migration, step.phase, build.name)
            connection.exec_driver_sql(build.drop.sql)
    try:
        _execute(connection, step, migration)
    except ExecutionError as exc:
        cause = exc.__cause__
        if not (resuming and cause is not None and dialect.already_applied(cause, step.statement)):
            raise
        log.info("%s %s: done before the interruption: %s", migration, step.phase, step.sql)


def _timeouts(
    dialect: Dialect, group: list[Step], options: RunOptions | None, *, local: bool
) -> list[str]:
    """The settings a group runs under: short lock waits for a lock that blocks the apps."""
    if options is None:
        return []
    if any(step.statement.blocks for step in group):
        return dialect.timeouts_sql(
            lock_timeout_ms=options.lock_timeout_ms,
            statement_timeout_ms=options.ddl_statement_timeout_ms,
            local=local,
        )
    return dialect.timeouts_sql(
        lock_timeout_ms=None, statement_timeout_ms=options.statement_timeout_ms, local=local
    )


def _reset(connection: sa.Connection, dialect: Dialect, timeouts: list[str]) -> None:
    if timeouts:
        with connection.begin():
            for sql in dialect.reset_timeouts_sql():
                connection.exec_driver_sql(sql)
    connection.execution_options(isolation_level=connection.default_isolation_level)


def _failed(migration: str, step: Step, exc: sa.exc.DBAPIError) -> ExecutionError:
    return ExecutionError(migration, str(step.phase), step.sql, driver_reason(exc))


def _execute(connection: sa.Connection, step: Step, migration: str) -> None:
    log.debug("%s", step.sql)
    # Without parameters the drivers read the text as written: a % (LIKE 'a%', a default of
    # '5%', a user's RunSQL) is not taken for a placeholder.
    try:
        result = connection.exec_driver_sql(step.sql, execution_options={"no_parameters": True})
        violated = step.statement.expect_no_rows and result.first() is not None
    except sa.exc.DBAPIError as exc:
        raise _failed(migration, step, exc) from exc
    if violated:
        reason = f"check failed: {step.statement.note or 'rows violate it'}"
        raise ExecutionError(migration, str(step.phase), step.sql, reason)


def _undo(connection: sa.Connection, step: Step, migration: str, dialect: Dialect) -> None:
    """A rollback statement; one that names an object that does not exist is skipped.

    Expand may have failed part-way (on MySQL every statement commits on its own), or a
    rollback may run again after it was interrupted: what was never made needs no undoing.
    Inside a transaction the statement gets a savepoint, so that skipping it does not abort
    the statements after it.
    """
    savepoint = (
        connection.begin_nested()
        if step.statement.transactional and dialect.caps.transactional_ddl
        else None
    )
    try:
        _execute(connection, step, migration)
    except ExecutionError as exc:
        if exc.__cause__ is None or not dialect.missing_object(exc.__cause__):
            raise
        if savepoint is not None:
            savepoint.rollback()
        log.info("%s rollback: nothing to undo (%s): %s", migration, exc.reason, step.sql)
        return
    if savepoint is not None:
        savepoint.commit()


def transaction_groups(steps: list[Step], dialect: Dialect) -> list[list[Step]]:
    """The groups :func:`run_group` runs: consecutive transactional steps share a transaction
    where DDL is transactional; the steps of a fence (``Statement.fence``, MySQL's LOCK TABLES …
    UNLOCK TABLES) are one group, whose record follows its end; every other step is a group of
    its own.

    A scan under a lock that blocks nothing (VALIDATE CONSTRAINT) starts a transaction of its
    own: joined after a statement that took ACCESS EXCLUSIVE, it would scan the whole table
    while that lock, held to the end of the transaction, blocks every read and write.
    """
    groups: list[list[Step]] = []
    fenced = False
    for step in steps:
        s = step.statement
        if fenced or s.fence == "open":
            if not fenced:
                groups.append([])
            groups[-1].append(step)
            fenced = s.fence != "close"
            continue
        joinable = s.transactional and s.batched is None and dialect.caps.transactional_ddl
        joinable = joinable and not (s.scan and not s.blocks)
        previous = groups[-1][-1].statement if groups else None
        if (
            joinable
            and previous is not None
            and previous.transactional
            and previous.batched is None
        ):
            groups[-1].append(step)
        else:
            groups.append([step])
    return groups


def run_phase(
    engine: sa.Engine,
    compiled: CompiledMigration,
    phase: Phase,
    dialect: Dialect,
    *,
    batch_size: int = 1000,
) -> None:
    run_steps(
        engine,
        dialect,
        compiled.phase(phase),
        migration=compiled.migration.id,
        batch_size=batch_size,
    )


def run_rollback(
    engine: sa.Engine, compiled: CompiledMigration, dialect: Dialect, *, reached: Phase | str
) -> None:
    """Undo a migration whose phases up to ``reached`` (expand or backfill) ran. After contract
    it raises InvalidOperation, before touching the database: contract is not reversible.
    A statement that drops what the phases never made is skipped, so a rollback also cleans up
    after an expand that failed part-way, and can run again."""
    run_steps(
        engine, dialect, compiled.rollback(reached), migration=compiled.migration.id, undoing=True
    )


def run_all(
    engine: sa.Engine, compiled: CompiledMigration, dialect: Dialect, *, batch_size: int = 1000
) -> None:
    """Expand, backfill and contract, one after the other."""
    for phase in (Phase.EXPAND, Phase.BACKFILL, Phase.CONTRACT):
        run_phase(engine, compiled, phase, dialect, batch_size=batch_size)
