"""The shadow-table copy (MySQL/MariaDB): a table rebuilt with a new definition while the apps
read and write it, as gh-ost and pt-online-schema-change do. What it copies and what it refuses
is planned by :func:`zdmigrate.alter.shadow_copy`; the SQL is the dialect's
(:mod:`zdmigrate.dialects.mysql_shadow`).

1. **Build**: the shadow table, made ``LIKE`` the original and altered while empty, then
   triggers on the original that apply each app write to it, in the app's own transaction.
2. **Copy**: the backfill engine's keyset walk (:func:`~zdmigrate.run.backfill.run_backfill`:
   chunk size toward the target time, throttles, retries, progress, a checkpoint per chunk).
   A boundary read share-locks the chunk's rows, and the row after them, before the chunk's
   ``INSERT IGNORE … SELECT`` takes the shadow table's AUTO-INC lock: an app's write to one
   of them waits for the chunk instead of deadlocking with it (its trigger would wait for
   that lock while the insert waited for its row). The insert then reads them at READ
   COMMITTED, without locking them again, where the server allows it; and then, with no rest
   between chunks, the next chunk's rows are locked on other connections while this chunk
   inserts (:mod:`zdmigrate.run.chunk_locks`). The chunk's
   warnings are all read, and with ``verify_copy`` each committed chunk is checked on a
   second connection while the copy goes on (:mod:`zdmigrate.run.shadow_chunks`).
3. **Swap**: where the change adds a unique key, the row counts of both tables, in one
   snapshot, must match (a trigger's ``REPLACE`` of a row that collides on the new key would
   have dropped the other). While ``postpone_swap_flag_file`` exists the copy waits, kept in
   step. Then the reverse triggers, on the shadow table, writing ``old`` (a stand-in view
   until the swap), and one ``RENAME TABLE`` under the lock timeout, with retries: the copy
   takes the table's name, the original ``old``'s, kept in step by the reverse triggers until
   contract. The forward triggers and the stand-in are dropped.

Resume. Each chunk's checkpoint commits with the chunk, or once it is checked; the
checkpoint of the last chunk is the empty key, "copied". A run that finds a checkpoint and
the shadow table with its triggers goes on from it; one that finds a checkpoint and the
triggers where the swap leaves them was cut short after the swap and only tidies up; anything
else starts afresh, dropping what an earlier attempt left. :func:`undo_shadow_copy` undoes a
copy wherever it stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from zdmigrate.errors import BadInput, CopyStopped
from zdmigrate.run.backfill import Key, run_backfill, session_settings
from zdmigrate.run.executor import run_group
from zdmigrate.run.shadow_chunks import ChunkCopy, Chunks, Verifier
from zdmigrate.schema import split_name
from zdmigrate.steps import BatchedUpdate, Phase, Step

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.dialects.mysql_shadow import CopiedColumns, ShadowSQL
    from zdmigrate.run.options import RunOptions
    from zdmigrate.steps import ShadowCopy

log = logging.getLogger("zdmigrate.run.shadow")

COPIED: Key = ()
"""The checkpoint of a copy whose every chunk is done: only the swap is left."""

POSTPONE_CHECK_SECONDS = 1.0


def run_shadow_copy(
    engine: sa.Engine,
    dialect: Dialect,
    copy: ShadowCopy,
    *,
    options: RunOptions,
    resume_after: Key | None,
    on_checkpoint: Callable[[Key, int], None],
    is_paused: Callable[[], bool],
    migration: str,
    label: str,
) -> int:
    """Build, copy, verify and swap (see the module); returns the rows the copy inserted.

    ``on_checkpoint(key, rows)`` records a chunk's last key (:data:`COPIED` after the last
    chunk) in the chunk's transaction, as :func:`run_backfill`'s does; ``resume_after`` is the
    last one recorded. Failures raise ExecutionError naming ``migration``."""
    steps = _Steps.of(dialect, copy, options, migration)
    with engine.connect() as connection:
        found = steps.existing(connection)
        if resume_after is not None and steps.swapped(found):
            log.info("%s: swapped in before the interruption", label)
            steps.finish(connection)
            return 0
        resumable = copy.shadow in found and all(name in found for name in copy.triggers)
        if resume_after is None or not resumable:
            if copy.old in found:
                raise BadInput(
                    f"{copy.table}: {copy.old} is there from an earlier change; drop it (or "
                    "rename it) before this one"
                )
            steps.build(connection, found)
            resume_after = None
        copied = steps.copied_columns(connection)
    rows = 0
    if resume_after != COPIED:
        rows = _copy(engine, steps, copied, resume_after, on_checkpoint, is_paused, label)
    with engine.connect() as connection:
        _wait_while_postponed(options, label)
        if copy.new_unique:
            steps.check_counts(connection)
        steps.swap(connection, copied)
        steps.finish(connection)
    log.info("%s: swapped in; the original is kept in step as %s", label, copy.old)
    return rows


def undo_shadow_copy(
    engine: sa.Engine, dialect: Dialect, copy: ShadowCopy, *, options: RunOptions, migration: str
) -> None:
    """Undo a copy wherever it stopped: swapped in, the original (kept in step) takes the
    table's name back; then the triggers and the shadow table are dropped."""
    steps = _Steps.of(dialect, copy, options, migration)
    with engine.connect() as connection:
        found = steps.existing(connection)
        if steps.swapped(found):
            steps.finish(connection)  # an interrupted swap's leftovers first
            steps.run(connection, [steps.sql.swap_back_sql(copy)], blocking=True)
            found = steps.existing(connection)
        drops = steps.sql.drop_triggers(copy, copy.triggers + copy.reverse)
        drops.append(f"DROP TABLE IF EXISTS {dialect.table(copy.shadow)}")
        if found.get(copy.old) == "VIEW":  # the stand-in of a swap that did not happen
            drops += steps.sql.stand_in_drops(copy, copy.old)
        steps.run(connection, drops, blocking=True)


def _copy(
    engine: sa.Engine,
    steps: _Steps,
    copied: CopiedColumns,
    resume_after: Key | None,
    on_checkpoint: Callable[[Key, int], None],
    is_paused: Callable[[], bool],
    label: str,
) -> int:
    sql, copy, options, dialect = steps.sql, steps.copy, steps.options, steps.dialect
    with engine.connect() as connection:
        read_committed = bool(connection.exec_driver_sql(sql.reads_committed_sql()).scalar())
    session = sql.session_sql(on=True, read_committed=read_committed)
    chunks = Chunks(
        engine,
        dialect,
        sql,
        copy,
        copied,
        options,
        steps.migration,
        session=session_settings(dialect, options) + session,
        read_committed=read_committed,
    )
    verifier = Verifier(chunks, on_checkpoint) if options.verify_copy else None
    record = on_checkpoint if verifier is None else verifier.checkpoint

    def checkpoint(key: Key | None, rows: int) -> None:
        record(COPIED if key is None else key, rows)

    if verifier is not None:
        verifier.start()
    try:
        rows = run_backfill(
            engine,
            dialect,
            BatchedUpdate(copy.table, copy.key, ()),
            options=options,
            resume_after=resume_after,
            on_checkpoint=checkpoint,
            is_paused=is_paused,
            label=label,
            work=ChunkCopy(chunks, verifier),
            session=(session, sql.session_sql(on=False, read_committed=read_committed)),
            after_commit=None if verifier is None else verifier.committed,
            lock_ahead=read_committed,
        )
        if verifier is not None:
            verifier.finish()
    finally:
        if verifier is not None:
            verifier.close()
    return rows


def _wait_while_postponed(options: RunOptions, label: str) -> None:
    flag = options.postpone_swap_flag_file
    if flag is None or not flag.exists():
        return
    log.info("%s: copied; the swap waits while %s exists (the copy stays in step)", label, flag)
    while flag.exists():
        time.sleep(POSTPONE_CHECK_SECONDS)
    log.info("%s: %s is gone; swapping", label, flag)


@dataclass(frozen=True)
class _Steps:
    """The DDL of a copy, each statement run as a runner step: under the lock timeout with
    retries where its lock blocks the apps (triggers and renames take the tables' metadata
    locks)."""

    dialect: Dialect
    sql: ShadowSQL
    copy: ShadowCopy
    options: RunOptions
    migration: str

    @classmethod
    def of(cls, dialect: Dialect, copy: ShadowCopy, options: RunOptions, migration: str) -> _Steps:
        sql = dialect.shadow_sql()
        if sql is None:
            raise BadInput(f"{copy.table}: this server has no shadow-table copy")
        return cls(dialect, sql, copy, options, migration)

    def existing(self, connection: sa.Connection) -> dict[str, str | None]:
        """The copy's tables and triggers that exist: name → the table a trigger is on."""
        c = self.copy
        tables = {split_name(n)[1]: n for n in (c.shadow, c.old)}
        rows = self._catalog(connection, self.sql.objects_sql(), [*tables, *c.triggers, *c.reverse])
        return {tables.get(row.name, row.name): row.on_table for row in rows}

    def _catalog(self, connection: sa.Connection, sql: str, names: list[str]) -> list[Any]:
        """The rows of a catalog query about the objects ``names`` beside the table."""
        query = sa.text(sql).bindparams(sa.bindparam("names", expanding=True))
        schema = split_name(self.copy.table)[0]
        rows = connection.execute(query, {"schema": schema, "names": names}).all()
        connection.rollback()
        return list(rows)

    def swapped(self, found: dict[str, str | None]) -> bool:
        """The swap happened: the forward triggers went with the original to ``old``, or
        the reverse ones with the copy to the table's name."""
        old, table = split_name(self.copy.old)[1], split_name(self.copy.table)[1]
        return found.get(self.copy.triggers[0]) == old or found.get(self.copy.reverse[0]) == table

    def build(self, connection: sa.Connection, found: dict[str, str | None]) -> None:
        """Afresh: what an earlier attempt left dropped, the shadow table built, the triggers
        made."""
        ours = self.copy.triggers + self.copy.reverse
        if any(name in found for name in ours):
            self.run(connection, self.sql.drop_triggers(self.copy, ours), blocking=True)
        self.run(connection, [f"DROP TABLE IF EXISTS {self.dialect.table(self.copy.shadow)}"])
        self.run(connection, self.sql.build(self.copy))
        triggers = self.sql.triggers(self.copy, self.copied_columns(connection))
        self.run(connection, [create for _, create in triggers], blocking=True)

    def copied_columns(self, connection: sa.Connection) -> CopiedColumns:
        names = [split_name(n)[1] for n in (self.copy.table, self.copy.shadow)]
        rows = self._catalog(connection, self.sql.columns_sql(), names)
        return self.sql.copied_columns(self.copy, rows)

    def check_counts(self, connection: sa.Connection) -> None:
        with connection.begin():
            source, target = connection.execute(sa.text(self.sql.counts_sql(self.copy))).one()
        if source != target and self.options.allow_data_loss:
            log.warning(
                "%s: the copy has %d rows and the original %d; allowed",
                self.copy.table,
                target,
                source,
            )
        elif source != target:
            raise CopyStopped(
                self.migration,
                str(Phase.BACKFILL),
                self.sql.counts_sql(self.copy),
                f"{self.copy.table}: the copy has {target} rows and the original {source}; "
                "not swapped",
            )

    def swap(self, connection: sa.Connection, copied: CopiedColumns) -> None:
        """The stand-in for ``old`` and the reverse triggers that will write it, then the
        swap (see :meth:`ShadowSQL.swap_sql`)."""
        self.run(connection, self.sql.stand_in_sql(self.copy, copied))
        found = self.existing(connection)
        reverse = self.sql.reverse_triggers(self.copy, copied)
        missing = [create for name, create in reverse if name not in found]
        self.run(connection, missing, blocking=True)
        self.run(connection, [self.sql.swap_sql(self.copy)], blocking=True)

    def finish(self, connection: sa.Connection) -> None:
        """After the swap: the forward triggers, now on ``old``, and the stand-in, now under
        the shadow's name, dropped."""
        drops = self.sql.drop_triggers(self.copy, self.copy.triggers)
        drops += self.sql.stand_in_drops(self.copy, self.copy.shadow)
        self.run(connection, drops)

    def run(self, connection: sa.Connection, statements: list[str], blocking: bool = False) -> None:
        for text in statements:
            statement = self.sql.statement(self.copy, text, blocking=blocking)
            run_group(
                connection,
                self.dialect,
                [Step(Phase.BACKFILL, "AlterTable", statement)],
                migration=self.migration,
                options=self.options,
            )
