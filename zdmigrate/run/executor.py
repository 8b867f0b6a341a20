"""The simple executor: runs a compiled migration's phases on a database, in order, unthrottled.

It keeps no state between calls and sets no lock timeouts. The staged runner of a later release
(state table, retries under lock timeouts, throttling, resume) will build on it; tests and small
databases can use it directly.

Statements run as the step says: transactional ones together in one transaction per run of
consecutive transactional steps (on servers whose DDL is transactional), the others on their
own in autocommit. A batched backfill walks the table's key in batches of ``batch_size`` rows,
each batch its own short transaction marked as the backfill's so the sync triggers leave it alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from zdmigrate.engine import driver_reason, mask_url
from zdmigrate.errors import ConnectionFailed, ExecutionError
from zdmigrate.steps import Phase, Step

if TYPE_CHECKING:
    from collections.abc import Iterator

    from zdmigrate.dialects import Dialect
    from zdmigrate.migration import CompiledMigration
    from zdmigrate.steps import BatchedUpdate

log = logging.getLogger("zdmigrate.run")


@dataclass(frozen=True)
class Batch:
    """One batch of a batched update: the SQL and its key bounds."""

    sql: str
    params: dict[str, Any]


def batches(
    connection: sa.Connection, dialect: Dialect, update: BatchedUpdate, batch_size: int
) -> Iterator[Batch]:
    """The batches of ``update``, found one boundary at a time as the caller runs them.

    Each boundary is the key of the ``batch_size``-th row after the previous one, read from the
    key's index; the last batch has no upper bound, so rows the apps insert meanwhile are
    covered (and the sync triggers have filled them already).
    """
    after: tuple[Any, ...] | None = None
    while True:
        first = after is None
        params: dict[str, Any] = {"offset": batch_size - 1}
        if after is not None:
            params |= {f"after{i}": v for i, v in enumerate(after)}
        boundary = connection.execute(
            sa.text(dialect.batch_boundary_sql(update, first=first)), params
        ).first()
        bounds = {k: v for k, v in params.items() if k != "offset"}
        if boundary is None:
            yield Batch(dialect.batch_update_sql(update, first=first, last=True), bounds)
            return
        upto = tuple(boundary)
        bounds |= {f"upto{i}": v for i, v in enumerate(upto)}
        yield Batch(dialect.batch_update_sql(update, first=first, last=False), bounds)
        after = upto


def run_batched(
    engine: sa.Engine, dialect: Dialect, update: BatchedUpdate, batch_size: int = 1000
) -> int:
    """Run a batched update to the end; returns the number of rows it changed."""
    changed = 0
    with engine.connect() as connection:
        walk = batches(connection, dialect, update, batch_size)
        try:
            while True:
                # One short transaction per batch: its boundary query and its update.
                with connection.begin():
                    connection.exec_driver_sql(dialect.backfill_session_sql())
                    batch = next(walk, None)
                    if batch is None:
                        break
                    changed += connection.execute(sa.text(batch.sql), batch.params).rowcount
        finally:
            if end := dialect.backfill_session_end_sql():
                connection.exec_driver_sql(end)
                connection.commit()
    return changed


def run_steps(
    engine: sa.Engine,
    dialect: Dialect,
    steps: list[Step],
    *,
    migration: str,
    batch_size: int = 1000,
    undoing: bool = False,
) -> None:
    """Run ``steps`` in order. A failure raises ExecutionError naming the statement that failed;
    a server that does not answer raises ConnectionFailed.

    ``undoing``: the steps are a rollback, which skips a statement that drops what is not there
    (see ``_undo``).

    The steps share one connection, so that a session setting one step makes reaches the steps
    after it: MySQL adds a foreign key in place only between ``SET SESSION foreign_key_checks``
    = 0 and = 1, and steps that each took a connection from the pool could land on different
    ones. After a failure the connection is discarded rather than returned to the pool, so that
    a setting the failed run left in force never reaches the pool's next user.
    """
    if not steps:
        return
    try:
        connection = engine.connect()
    except sa.exc.DBAPIError as exc:
        url = mask_url(engine.url.render_as_string(hide_password=False))
        raise ConnectionFailed(url, driver_reason(exc)) from None
    with connection:
        for group in _groups(steps, dialect):
            try:
                _run_group(engine, connection, dialect, group, migration, batch_size, undoing)
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
) -> None:
    statement = group[0].statement
    if statement.batched is not None:
        # Batches take their own connection: each is its own short transaction.
        rows = run_batched(engine, dialect, statement.batched, batch_size)
        log.info("%s %s: backfilled %d rows", migration, group[0].phase, rows)
        return
    if not statement.transactional:
        connection.execution_options(isolation_level="AUTOCOMMIT")
    with connection.begin():
        for step in group:
            if undoing:
                _undo(connection, step, migration, dialect)
            else:
                _execute(connection, step, migration)
    if not statement.transactional:
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


def _groups(steps: list[Step], dialect: Dialect) -> list[list[Step]]:
    """Consecutive transactional steps share a transaction where DDL is transactional.

    A scan under a lock that blocks nothing (VALIDATE CONSTRAINT) starts a transaction of its
    own: joined after a statement that took ACCESS EXCLUSIVE, it would scan the whole table
    while that lock, held to the end of the transaction, blocks every read and write.
    """
    groups: list[list[Step]] = []
    for step in steps:
        s = step.statement
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
