"""The staged runner: each phase of each migration once, resumable, one runner per database.

``Runner(url).run("migrations", "expand")`` applies expand to every migration of the folder
that has not had it, in id order; ``run(..., "backfill")`` then backfills those whose expand is
done, and so on. A phase that is done is not run again; one that failed or was killed resumes
at the step where it stopped. What is done is recorded in the target database
(:mod:`zdmigrate.run.state`), in the same transaction as the step itself wherever the step is
transactional, so that no step runs twice; a step outside a transaction is made safe to run
again instead (see :func:`zdmigrate.run.executor.run_group`), and a backfill resumes after the
last key its checkpoint holds.

Every refusal — a phase out of order, a changed file, a rollback after contract — is decided
for all the migrations before the first statement runs: a refused run changes nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

from zdmigrate.alter import AlterPlan, alter_migration, plan_alter
from zdmigrate.engine import create_engine, dialect_for, driver_reason, mask_url, open_connection
from zdmigrate.errors import (
    BadInput,
    ChangedMigration,
    CopyStopped,
    ExecutionError,
    PhaseOrderError,
    UnknownMigration,
)
from zdmigrate.migration import (
    CompiledMigration,
    compile_migration,
    compile_release,
    is_alembic,
    load_release,
)
from zdmigrate.run import state
from zdmigrate.run.backfill import run_backfill
from zdmigrate.run.executor import run_group, transaction_groups
from zdmigrate.run.lock import runner_lock
from zdmigrate.run.options import RunOptions
from zdmigrate.run.progress import Progress
from zdmigrate.run.shadow import run_shadow_copy, undo_shadow_copy
from zdmigrate.run.throttle import Throttle, check_options, probe_on
from zdmigrate.schema import Schema
from zdmigrate.steps import RUN_ORDER, Phase

if TYPE_CHECKING:
    from types import TracebackType

    from zdmigrate.dialects import Dialect
    from zdmigrate.migration import Migration
    from zdmigrate.run.state import MigrationState
    from zdmigrate.steps import Step

log = logging.getLogger("zdmigrate.run")

PAUSE_CHECK_SECONDS = 1.0
"""How stale the pause flag a backfill reads may be: one cheap query a second at most."""

AnyPath = str | Path

Outcome = Literal["done", "resumed", "already done", "rolled back", "nothing to roll back"]


@dataclass(frozen=True)
class PhaseRun:
    """What a run did to one migration."""

    migration: str
    phase: Phase
    outcome: Outcome
    rows: int = 0
    """Rows the phase's batched steps changed in this run."""

    def __str__(self) -> str:
        rows = f", {self.rows} rows" if self.rows else ""
        return f"{self.migration} {self.phase}: {self.outcome}{rows}"


class Runner:
    """Runs, rolls back, pauses and reports migrations on one database.

    ``database``: a URL (the runner makes and disposes of its engine) or an engine of the
    caller's. ``options``: the same options as the command line's (batch size, throttling,
    lock timeout, …). Usable as a context manager.
    """

    def __init__(self, database: str | sa.Engine, options: RunOptions | None = None) -> None:
        self.options = options or RunOptions()
        self._owns_engine = not isinstance(database, sa.Engine)
        self.engine = create_engine(database) if isinstance(database, str) else database
        given = database if isinstance(database, str) else None
        self._shown_url = mask_url(given or self.engine.url.render_as_string(hide_password=False))
        """The URL as the caller wrote it, for messages: password masked."""
        try:
            state.check_database(self.engine.url)
        except BadInput:
            self.close()
            raise

    def close(self) -> None:
        if self._owns_engine:
            self.engine.dispose()

    def __enter__(self) -> Runner:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- the commands ----------------------------------------------------------------------

    def run(self, path: AnyPath | Sequence[AnyPath], phase: Phase | str) -> list[PhaseRun]:
        """Apply ``phase`` (expand, backfill or contract) to the migration file at ``path``,
        or to every migration of the folder at ``path`` that has not had it, in id order.

        A file is compiled after the migrations before it in its folder; several paths (files
        of different folders) after the migrations before the first of them in each folder.
        ``path`` may also be an Alembic project's ``alembic.ini``, for contract: of the
        revisions with zdmigrate operations that Alembic has applied (expand and backfill are
        ``alembic upgrade``'s; see :mod:`zdmigrate.alembic`).
        """
        paths = _paths(path)
        if is_alembic(paths):
            from zdmigrate.alembic.operations import release_to_contract

            with self._connection() as connection:
                release, wanted = release_to_contract(paths[0], connection, phase)
            return self.run_release(release, wanted, phase, applied_only=True)
        history, wanted_migrations = load_release(paths)
        wanted = [m.id for m in wanted_migrations]
        return self.run_release(history + wanted_migrations, wanted, phase)

    def run_release(
        self,
        release: Sequence[Migration],
        wanted: Collection[str],
        phase: Phase | str,
        *,
        applied_only: bool = False,
    ) -> list[PhaseRun]:
        """Apply ``phase`` to the migrations of ``release`` whose ids are ``wanted``, each
        compiled after the ones before it in ``release``; with ``applied_only``, leave out
        those this database has no record of."""
        wanted_phase = _run_phase(phase)
        dialect = self._dialect()
        check_options(dialect, self.options)
        compiled = _compile(release, wanted, dialect)
        with self._lock(f"run {wanted_phase}", dialect):
            states = self._states()
            _refuse_changed(release, states)
            if applied_only:
                compiled = [c for c in compiled if c.migration.id in states]
            plan = [
                (c, _decide(c.migration.id, states.get(c.migration.id), wanted_phase))
                for c in compiled
            ]
            self._ensure_state()
            return [
                self._run_phase(c, wanted_phase, action, states.get(c.migration.id), dialect)
                if action != "skip"
                else PhaseRun(c.migration.id, wanted_phase, "already done")
                for c, action in plan
            ]

    def alter(
        self,
        table: str,
        spec: str,
        *,
        strategy: str = "auto",
        execute: bool = False,
        drop_old_table: bool = False,
    ) -> AlterPlan:
        """Plan ``ALTER TABLE table spec`` on this MySQL/MariaDB database (see
        :mod:`zdmigrate.alter`) and, with ``execute``, run it, holding the runner lock: an
        instant or in-place change under the lock timeout with retries; a shadow-table copy
        as the migration ``alter_<table>_<hash>`` of one :class:`~zdmigrate.ops.AlterTable`,
        through expand, backfill and contract (resumable: the same alter run again goes on
        where it stopped); contract drops the reverse triggers, and with ``drop_old_table``
        the original too."""
        dialect = self._dialect()
        check_options(dialect, self.options)
        migration = alter_migration(table, spec, strategy, keep_old=not drop_old_table)
        current = self._states().get(migration.id)
        if current is not None and current.has_reached(Phase.CONTRACT):
            raise BadInput(f"{table}: this change was made already ({migration.id})")
        with self._connection() as connection:
            planned = plan_alter(
                connection, dialect, table, spec, strategy, swapped=_swap_started(current)
            )
        if not execute:
            return planned
        label = f"alter {table}"
        if planned.copy is None:
            with self._lock("alter", dialect), self._connection() as connection:
                self._hold_while_throttled(connection, dialect, label)
                run_group(
                    connection, dialect, [planned.step()], migration=label, options=self.options
                )
            log.info("alter %s: done", table)
            return planned
        assert planned.before is not None
        compiled = compile_migration(migration, planned.before, dialect)
        with self._lock("alter", dialect):
            self._ensure_state()
            for phase in RUN_ORDER:
                states = self._states()
                _refuse_changed([migration], states)
                action = _decide(migration.id, states.get(migration.id), phase)
                if action == "skip":
                    continue
                try:
                    self._run_phase(compiled, phase, action, states.get(migration.id), dialect)
                except CopyStopped:
                    # Nothing was swapped: the triggers would only slow the apps' writes.
                    self._roll_back(compiled, self._states()[migration.id], dialect)
                    log.info("%s: the copy and its triggers are dropped", label)
                    raise
        return planned

    def _hold_while_throttled(
        self, connection: sa.Connection, dialect: Dialect, label: str
    ) -> None:
        """Wait, before one statement, while a throttle holds (load, replica lag, the pause
        flag file); raise CriticalLoad at a critical load."""
        progress = Progress(label, self.options, None)
        throttle = Throttle(
            dialect,
            self.options,
            probe=probe_on(connection),
            is_paused=lambda: False,
            progress=progress,
            label=label,
        )
        try:
            throttle.wait()
        finally:
            throttle.close()
            progress.close()

    def rollback(self, path: AnyPath | Sequence[AnyPath]) -> list[PhaseRun]:
        """Undo the migrations at ``path`` whose contract has not started, last first."""
        paths = _paths(path)
        if is_alembic(paths):
            raise BadInput(
                f"{paths[0]}: roll back Alembic revisions with `alembic downgrade`, which runs "
                "op.zd_rollback() in their downgrade() and keeps Alembic's version in step"
            )
        history, wanted = load_release(paths)
        folder = any(p.is_dir() for p in paths)
        return self.rollback_release(history + wanted, [m.id for m in wanted], folder=folder)

    def rollback_release(
        self, release: Sequence[Migration], wanted: Collection[str], *, folder: bool = False
    ) -> list[PhaseRun]:
        """Undo the migrations of ``release`` whose ids are ``wanted`` (see
        :meth:`run_release`) and whose contract has not started, last first. ``folder``: those
        whose contract ran may come before the ones undone, as in a folder."""
        dialect = self._dialect()
        compiled = _compile(release, wanted, dialect)
        with self._lock("rollback", dialect):
            states = self._states()
            _refuse_changed(release, states)
            undo = {c.migration.id for c in _rollback_plan(compiled, states, folder=folder)}
            return [
                self._roll_back(c, states[c.migration.id], dialect)
                if c.migration.id in undo
                else PhaseRun(c.migration.id, Phase.ROLLBACK, "nothing to roll back")
                for c in reversed(compiled)
                if c.migration.id in undo or not _contract_started(states.get(c.migration.id))
            ]

    def status(self) -> list[MigrationState]:
        """Every migration this database has a record of, in id order. Read-only."""
        return list(self._states().values())

    def pause(self, migration_id: str) -> None:
        """Hold the migration's backfill before its next batch, until :meth:`resume`."""
        self._set_paused(migration_id, True)

    def resume(self, migration_id: str) -> None:
        self._set_paused(migration_id, False)

    # --- phases ----------------------------------------------------------------------------

    def _run_phase(
        self,
        compiled: CompiledMigration,
        phase: Phase,
        action: Literal["start", "resume"],
        current: MigrationState | None,
        dialect: Dialect,
    ) -> PhaseRun:
        migration = compiled.migration
        resume = action == "resume"
        done = current.steps_done if resume and current is not None else 0
        previous = _previous(phase)
        log.info(
            "%s %s: %s", migration.id, phase, f"resuming at step {done + 1}" if resume else "start"
        )
        with self.engine.begin() as connection:
            state.start(
                connection,
                migration.id,
                migration.checksum or "",
                phase,
                resume=resume,
                reached=previous,
            )
        with self._failure_recorded(migration.id):
            rows = self._run_steps(migration.id, compiled.phase(phase), done, dialect, resume)
        with self.engine.begin() as connection:
            state.finish(connection, migration.id, "done", phase)
        log.info("%s %s: done", migration.id, phase)
        return PhaseRun(migration.id, phase, "resumed" if resume else "done", rows)

    def _roll_back(
        self, compiled: CompiledMigration, current: MigrationState, dialect: Dialect
    ) -> PhaseRun:
        migration = compiled.migration
        resume = current.phase is Phase.ROLLBACK
        if resume:
            undoing = current.reached or Phase.EXPAND
        else:
            ran_backfill = Phase.BACKFILL in (current.reached, current.phase)
            undoing = Phase.BACKFILL if ran_backfill else Phase.EXPAND
        done = current.steps_done if resume else 0
        log.info("%s rollback of %s: %s", migration.id, undoing, "resuming" if resume else "start")
        with self.engine.begin() as connection:
            state.start(
                connection,
                migration.id,
                migration.checksum or "",
                Phase.ROLLBACK,
                resume=resume,
                reached=undoing,
            )
        with self._failure_recorded(migration.id):
            steps = compiled.rollback(undoing)
            self._run_steps(migration.id, steps, done, dialect, resume, undoing=True)
        with self.engine.begin() as connection:
            state.finish(connection, migration.id, "rolled_back", None)
            state.clear_checkpoints(connection, migration.id)
            state.set_paused(connection, migration.id, False)
        return PhaseRun(migration.id, Phase.ROLLBACK, "rolled back")

    def _run_steps(
        self,
        migration_id: str,
        steps: list[Step],
        start: int,
        dialect: Dialect,
        resuming: bool,
        *,
        undoing: bool = False,
    ) -> int:
        """Run ``steps`` from index ``start``, recording each group as done with it. Returns the
        rows batched steps changed."""
        rows = 0
        position = 0
        with self._connection() as connection:
            also_lock = state.fence_tables(connection)
            for group in transaction_groups(steps, dialect):
                end = position + len(group)
                if end <= start:  # done before
                    position = end
                    continue
                # Only a fence records its steps one by one, and may have been cut short.
                done = max(start - position, 0)
                step = group[0]

                def record(connection: sa.Connection, count: int, first: int = position) -> None:
                    state.steps_done(connection, migration_id, first + count)

                try:
                    if undoing and (copy := step.statement.shadow) is not None:
                        undo_shadow_copy(
                            self.engine,
                            dialect,
                            copy,
                            options=self.options,
                            migration=migration_id,
                        )
                        with self.engine.begin() as recording:
                            record(recording, len(group))
                    elif step.statement.batched or step.statement.shadow:
                        rows += self._backfill(migration_id, step, position, dialect)
                    else:
                        run_group(
                            connection,
                            dialect,
                            group,
                            migration=migration_id,
                            options=self.options,
                            undoing=undoing,
                            resuming=resuming and position <= start,
                            record=record,
                            done=done,
                            also_lock=also_lock,
                        )
                except (ExecutionError, sa.exc.DBAPIError) as exc:
                    # Whatever the failed statement left in the session is not passed on.
                    connection.invalidate()
                    if isinstance(exc, ExecutionError):
                        raise
                    reason = driver_reason(exc)
                    raise ExecutionError(migration_id, str(step.phase), step.sql, reason) from exc
                position = end
        return rows

    def _backfill(self, migration_id: str, step: Step, index: int, dialect: Dialect) -> int:
        """Run one batched step, or a shadow-table copy, from its checkpoint; each batch's
        checkpoint, and the step's end, are recorded in the batch's own transaction where the
        engine allows."""
        with self.engine.connect() as connection:
            checkpoint = state.load_checkpoint(connection, migration_id, step.phase, index)
        label = f"{migration_id} {step.phase} step {index + 1} ({step.statement.table})"
        if checkpoint.rows_done:
            log.info("%s: resuming after key %s", label, checkpoint.last_key)

        def record(key: tuple[Any, ...] | None, rows: int) -> None:
            nonlocal checkpoint
            checkpoint = state.Checkpoint(
                key if key is not None else checkpoint.last_key, checkpoint.rows_done + rows
            )
            done = checkpoint

            def write(connection: sa.Connection) -> None:
                state.save_checkpoint(connection, migration_id, step.phase, index, done)
                if key is None:  # the last batch: the step is done with it
                    state.steps_done(connection, migration_id, index + 1)

            if (batch := state.BATCH_CONNECTION.get()) is not None:
                write(batch)
            else:
                with self.engine.begin() as connection:
                    write(connection)

        is_paused = self._pause_flag(migration_id, label)
        if (copy := step.statement.shadow) is not None:
            rows = run_shadow_copy(
                self.engine,
                dialect,
                copy,
                options=self.options,
                resume_after=checkpoint.last_key,
                on_checkpoint=record,
                is_paused=is_paused,
                migration=migration_id,
                label=label,
            )
            record(None, 0)  # swapped in: the step is done
        else:
            assert step.statement.batched is not None
            rows = run_backfill(
                self.engine,
                dialect,
                step.statement.batched,
                options=self.options,
                resume_after=checkpoint.last_key,
                on_checkpoint=record,
                is_paused=is_paused,
                label=label,
            )
        log.info("%s: %d rows", label, rows)
        return rows

    # --- helpers ---------------------------------------------------------------------------

    def _pause_flag(self, migration_id: str, label: str) -> Callable[[], bool]:
        """``is_paused()`` for the backfill engine: the migration's pause flag, read at most
        once every :data:`PAUSE_CHECK_SECONDS`."""
        checked_at = -PAUSE_CHECK_SECONDS
        paused = False

        def is_paused() -> bool:
            nonlocal checked_at, paused
            now = time.monotonic()
            if now - checked_at >= PAUSE_CHECK_SECONDS:
                with self.engine.connect() as connection:
                    now_paused = state.is_paused(connection, migration_id)
                if now_paused and not paused:
                    log.info("%s: paused; `zdmigrate resume %s` lets it go on", label, migration_id)
                if paused and not now_paused:
                    log.info("%s: resumed", label)
                checked_at, paused = now, now_paused
            return paused

        return is_paused

    @contextmanager
    def _failure_recorded(self, migration_id: str) -> Iterator[None]:
        """Record why a phase stopped, then let the error go on."""
        try:
            yield
        except BaseException as exc:
            reason = str(exc) if isinstance(exc, ExecutionError) else f"{type(exc).__name__}: {exc}"
            try:
                with self.engine.begin() as connection:
                    state.fail(connection, migration_id, reason)
            except sa.exc.DBAPIError:  # the database went away; the state says "running"
                log.warning("%s: could not record the failure", migration_id)
            raise

    def _set_paused(self, migration_id: str, paused: bool) -> None:
        with self._connection() as connection, connection.begin():
            known = state.set_paused(connection, migration_id, paused)
        if not known:
            raise UnknownMigration(migration_id)

    def _states(self) -> dict[str, MigrationState]:
        with self._connection() as connection:
            return state.load_all(connection)

    def _ensure_state(self) -> None:
        with self.engine.begin() as connection:
            state.ensure(connection)

    def _dialect(self) -> Dialect:
        with self._connection() as connection:
            return dialect_for(connection)

    def _connection(self) -> sa.Connection:
        return open_connection(self.engine, self._shown_url)

    @contextmanager
    def _lock(self, command: str, dialect: Dialect) -> Iterator[None]:
        with runner_lock(
            self.engine, dialect, command=command, wait_s=self.options.wait_for_runner_s
        ):
            yield


# --- deciding what to do, before doing anything ------------------------------------------


def _paths(path: AnyPath | Sequence[AnyPath]) -> list[Path]:
    return [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]


def _run_phase(phase: Phase | str) -> Phase:
    if phase not in RUN_ORDER:
        raise BadInput(f"cannot run phase {phase!r}: expected expand, backfill or contract")
    return Phase(phase)


def _previous(phase: Phase) -> Phase | None:
    position = RUN_ORDER.index(phase)
    return RUN_ORDER[position - 1] if position else None


def _compile(
    release: Sequence[Migration], wanted: Collection[str], dialect: Dialect
) -> list[CompiledMigration]:
    """Compile ``release`` from an empty schema, each migration after the ones before it (the
    same steps on every run, whatever the database looks like half-way through a phase), and
    keep the ``wanted`` ones."""
    return [
        c for c in compile_release([], release, dialect, Schema())[1] if c.migration.id in wanted
    ]


def _refuse_changed(migrations: Sequence[Migration], states: dict[str, MigrationState]) -> None:
    for migration in migrations:
        current = states.get(migration.id)
        if current is None or current.status == "rolled_back":
            continue
        if current.checksum != migration.checksum:
            raise ChangedMigration(migration.path or migration.id, migration.id)


def _decide(
    migration_id: str, current: MigrationState | None, phase: Phase
) -> Literal["start", "resume", "skip"]:
    """Start ``phase``, resume it, or skip it as done; refuse it out of order."""
    where = current.describe() if current is not None else "never run"
    if current is not None and current.phase is Phase.ROLLBACK:
        if current.status != "rolled_back":
            raise PhaseOrderError(
                migration_id,
                f"run {phase}",
                "its rollback did not finish: run `zdmigrate rollback` again first",
            )
        current = None
    if current is not None and current.has_reached(phase):
        return "skip"
    if current is not None and current.phase is phase:
        return "resume"
    previous = _previous(phase)
    reached = current.reached if current is not None else None
    if reached == previous:
        return "start"
    raise PhaseOrderError(
        migration_id,
        f"run {phase}",
        f"{previous} is not done ({where}): run `zdmigrate run {previous}` first",
    )


def _swap_started(current: MigrationState | None) -> bool:
    """An alter's copy may have been swapped in: its backfill ran, whole or in part."""
    return current is not None and Phase.BACKFILL in (current.phase, current.reached)


def _contract_started(current: MigrationState | None) -> bool:
    return current is not None and (
        current.phase is Phase.CONTRACT or current.reached is Phase.CONTRACT
    )


def _rollback_plan(
    compiled: list[CompiledMigration], states: dict[str, MigrationState], *, folder: bool
) -> list[CompiledMigration]:
    """The migrations a rollback undoes: those begun and not contracted. In a folder, the
    contracted ones before them stay as they are; one contracted after them is refused, as is
    a single file whose contract began."""
    undo: list[CompiledMigration] = []
    contracted: list[str] = []
    for c in compiled:
        current = states.get(c.migration.id)
        if _contract_started(current):
            if undo:
                raise PhaseOrderError(
                    undo[-1].migration.id,
                    "roll back",
                    f"{c.migration.id}, after it, has run its contract",
                )
            contracted.append(c.migration.id)
        elif current is not None and current.status != "rolled_back":
            undo.append(c)
    if contracted and (not folder or not undo):
        raise PhaseOrderError(
            contracted[-1], "roll back", "its contract has run, and contract is not reversible"
        )
    return undo
