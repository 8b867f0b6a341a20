"""The shadow-table copy (MySQL/MariaDB): a table rebuilt with a new definition while the apps
read and write it, as gh-ost and pt-online-schema-change do. What it copies and what it refuses
is planned by :func:`zdmigrate.alter.shadow_copy`; the SQL is the dialect's
(:mod:`zdmigrate.dialects.mysql_shadow`).

1. **Build**: the shadow table, made ``LIKE`` the original and altered while empty, then
   triggers on the original that apply each app write to it, in the app's own transaction.
2. **Copy**: the backfill engine's keyset walk (:func:`~zdmigrate.run.backfill.run_backfill`:
   chunk size toward the target time, throttles, retries, progress, a checkpoint per chunk).
   A boundary read share-locks the chunk's rows, and the row after them, before the chunk's
   ``INSERT IGNORE … SELECT … LOCK IN SHARE MODE`` takes the shadow table's AUTO-INC lock: an
   app's write to one of them waits for the chunk instead of deadlocking with it (its
   trigger would wait for that lock while the insert waited for its row). The insert reads
   the original once, for the copy and for its checksum (user variables summed as it goes).
   The chunk's warnings are all read: any but the duplicate key of a row the triggers placed
   first means the copy would lose data (a value out of range or cut short, a duplicate on a
   new unique key), and stops it — nothing is dropped silently. With ``verify_copy`` the
   checksum of what the shadow table holds of the chunk must match; a chunk that differs is
   copied again over what is there and both tables summed again, in one statement.
3. **Swap**: where the change adds a unique key, the row counts of both tables, in one
   snapshot, must match (a trigger's ``REPLACE`` of a row that collides on the new key would
   have dropped the other). While ``postpone_swap_flag_file`` exists the copy waits, kept in
   step. Then the reverse triggers, on the shadow table, writing ``old`` (a stand-in view
   until the swap), and one ``RENAME TABLE`` under the lock timeout, with retries: the copy
   takes the table's name, the original ``old``'s, kept in step by the reverse triggers until
   contract. The forward triggers and the stand-in are dropped.

Resume. Each chunk's checkpoint commits with the chunk; the checkpoint of the last chunk is
the empty key, "copied". A run that finds a checkpoint and the shadow table with its triggers
goes on from it; one that finds a checkpoint and the triggers where the swap leaves them was
cut short after the swap and only tidies up; anything else starts afresh, dropping what an
earlier attempt left. :func:`undo_shadow_copy` undoes a copy wherever it stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from zdmigrate.errors import BadInput, CopyStopped
from zdmigrate.run.backfill import Key, run_backfill
from zdmigrate.run.executor import run_group
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

VERIFY_ATTEMPTS = 3
"""Copies of one chunk, the first included, before a checksum that still differs stops it."""

POSTPONE_CHECK_SECONDS = 1.0

BENIGN_DUPLICATE = "1062"
DEPRECATED = "1287"
"""MySQL 8 warns that a user variable set in an expression (the chunk's sums) is deprecated."""


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
    def checkpoint(key: Key | None, rows: int) -> None:
        on_checkpoint(COPIED if key is None else key, rows)

    sql, copy, options = steps.sql, steps.copy, steps.options
    return run_backfill(
        engine,
        steps.dialect,
        BatchedUpdate(copy.table, copy.key, ()),
        options=options,
        resume_after=resume_after,
        on_checkpoint=checkpoint,
        is_paused=is_paused,
        label=label,
        work=_Chunk(
            sql, copy, copied, options.verify_copy, options.allow_data_loss, steps.migration
        ),
        session=(sql.session_sql(on=True), sql.session_sql(on=False)),
    )


@dataclass(frozen=True)
class _Chunk:
    """One chunk of the copy, a :data:`~zdmigrate.run.backfill.BatchWork` of the backfill
    engine's walk, which has share-locked the chunk's rows: the insert, which reads the
    original once for the copy and its checksum, the insert's warnings, and the checksum of
    what the shadow table now holds."""

    sql: ShadowSQL
    copy: ShadowCopy
    copied: CopiedColumns
    verify: bool
    allow_loss: bool
    migration: str

    def __call__(self, connection: sa.Connection, binds: dict[str, Any], first: bool) -> int:
        if self.verify:
            connection.exec_driver_sql(self.sql.sum_start_sql())
        insert = self.sql.copy_chunk_sql(self.copy, self.copied, first=first, summed=self.verify)
        inserted = connection.execute(sa.text(insert), binds).rowcount
        lossy = self._losses(connection, binds)
        if self.verify and not lossy:  # a chunk allowed to lose data differs by design
            check = self.sql.sum_check_sql(self.copy, self.copied, first=first)
            held, held_sum, read, read_sum = connection.execute(sa.text(check), binds).one()
            if (held, held_sum) != (read, read_sum):
                self._copy_again(connection, binds, first=first)
        return int(inserted)

    def _losses(self, connection: sa.Connection, binds: dict[str, Any]) -> bool:
        """Whether the chunk lost data: any warning but a duplicate of the walk's key (a row
        the triggers placed first, which is the newer one). Stops the copy at the first,
        unless ``allow_loss``: then each is logged."""
        lossy = False
        for level, code, message in connection.exec_driver_sql("SHOW WARNINGS").all():
            if str(code) == BENIGN_DUPLICATE and _names_key(message, self.copy.key_index):
                continue
            if str(code) == DEPRECATED:
                continue
            where = f"{self.copy.table}: the copy would lose data ({level} {code}: {message})"
            if not self.allow_loss:
                raise CopyStopped(
                    self.migration,
                    str(Phase.BACKFILL),
                    f"copy of {self.copy.table} after {_after(binds)}",
                    f"{where}; stopped, nothing swapped",
                )
            log.warning(
                "%s, after %s; allowed", where.replace("would lose", "loses"), _after(binds)
            )
            lossy = True
        return lossy

    def _copy_again(self, connection: sa.Connection, binds: dict[str, Any], *, first: bool) -> None:
        """The chunk differs from the original (apps wrote into its range between the read
        and the sum, or something is wrong): copy it again over what is there and compare
        both tables in one snapshot, up to :data:`VERIFY_ATTEMPTS` times."""
        both = sa.text(self.sql.both_sums_sql(self.copy, self.copied, first=first))
        overwrite = sa.text(
            self.sql.copy_chunk_sql(self.copy, self.copied, first=first, overwrite=True)
        )
        for _ in range(VERIFY_ATTEMPTS):
            log.warning(
                "%s: the chunk after %s differs from the original; copying it again",
                self.copy.table,
                _after(binds),
            )
            connection.execute(overwrite, binds)
            self._losses(connection, binds)
            n, summed, held_n, held_summed = connection.execute(both, binds).one()
            if (n, summed) == (held_n, held_summed):
                return
        raise CopyStopped(
            self.migration,
            str(Phase.BACKFILL),
            f"copy of {self.copy.table} after {_after(binds)}",
            f"{self.copy.table}: the chunk after {_after(binds)} still differs from the "
            f"original after {VERIFY_ATTEMPTS} copies ({held_n} rows against {n}); stopped, "
            "nothing swapped",
        )


def _names_key(message: str, key_index: str) -> bool:
    # MariaDB: "… for key 'PRIMARY'"; MySQL 8: "… for key 'table.PRIMARY'".
    return message.endswith((f"'{key_index}'", f".{key_index}'"))


def _after(binds: dict[str, Any]) -> str:
    after = [v for k, v in sorted(binds.items()) if k.startswith("after")]
    return f"key {tuple(after)}" if after else "the start"


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
