"""Migrations: loading them from files, ordering them, and compiling them into steps.

A migration file is a Python module that defines ``migration = Migration(...)``. A folder of
them is ordered by id. Each loaded migration carries its path and a checksum of its file, so a
runner can refuse a file that changed after it was applied.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import reprlib
import sys
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from zdmigrate.errors import (
    BadInput,
    InvalidOperation,
    MigrationLoadError,
    SchemaError,
    ZdmigrateError,
)
from zdmigrate.ops.base import Operation
from zdmigrate.steps import Phase, Step

if TYPE_CHECKING:
    from collections.abc import Sequence

    from zdmigrate.dialects import Dialect
    from zdmigrate.findings import Finding
    from zdmigrate.schema import Schema


@dataclass(frozen=True)
class Migration:
    id: str
    operations: Sequence[Operation] = field(hash=False)
    description: str = ""
    path: str | None = field(default=None, compare=False)
    checksum: str | None = field(default=None, compare=False)
    sql_lines: tuple[int | None, ...] = field(default=(), compare=False)
    """For SQL recorded from another tool's file (an Alembic revision): the line of ``path``
    each line of the operations' SQL came from."""
    findings: tuple[Finding, ...] = field(default=(), compare=False)
    """What was found while loading it (a revision that could not be recorded)."""

    def __post_init__(self) -> None:
        """Refuse a migration of the wrong shape where it is written, before it is compiled."""
        where = self.path or f"migration {self.id!r}"
        if not isinstance(self.id, str) or not self.id.strip():
            raise MigrationLoadError(where, f"id must be a non-empty string, not {self.id!r}")
        if isinstance(self.operations, Operation):
            name = type(self.operations).__name__
            raise MigrationLoadError(
                where, f"operations must be a list, [{name}(...)], not one {name}"
            )
        if not isinstance(self.operations, list | tuple):
            raise MigrationLoadError(
                where,
                f"operations must be a list of operations, not {reprlib.repr(self.operations)}",
            )
        for position, operation in enumerate(self.operations, 1):
            if isinstance(operation, type) and issubclass(operation, Operation):
                name = operation.__name__
                raise MigrationLoadError(
                    where, f"operation {position} is the class {name}, not {name}(...)"
                )
            if not isinstance(operation, Operation):
                raise MigrationLoadError(
                    where, f"operation {position} is {reprlib.repr(operation)}, not an operation"
                )

    def source_line(self, sql_line: int) -> int | None:
        """The line of the migration's file that line ``sql_line`` of its SQL came from, where
        the file is SQL or was recorded as SQL; None for a Python migration."""
        if self.sql_lines:
            return self.sql_lines[sql_line - 1] if 0 < sql_line <= len(self.sql_lines) else None
        return sql_line if self.path and self.path.endswith(".sql") else None


@dataclass
class CompiledMigration:
    migration: Migration
    before: Schema
    after: Schema
    steps: dict[Phase, list[Step]]

    def phase(self, phase: Phase) -> list[Step]:
        return self.steps[phase]

    def rollback(self, reached: Phase | str) -> list[Step]:
        """The rollback steps for a migration whose phases up to ``reached`` (expand or
        backfill) ran. After contract there is nothing to roll back to."""
        if reached not in (Phase.EXPAND, Phase.BACKFILL):
            where = self.migration.path or self.migration.id
            why = "contract is not reversible" if reached == Phase.CONTRACT else "not a phase"
            raise InvalidOperation(
                f"{where}: cannot roll back after {reached}: {why}; "
                "a rollback undoes a migration whose expand or backfill ran"
            )
        ran = {Phase.EXPAND} | ({Phase.BACKFILL} if Phase(reached) is Phase.BACKFILL else set())
        return [s for s in self.steps[Phase.ROLLBACK] if s.undoes in ran]


def compile_migration(migration: Migration, schema: Schema, dialect: Dialect) -> CompiledMigration:
    """Validate each operation against the schema the ones before it made, and collect its steps.

    Expand, backfill and contract run in operation order; rollback undoes them in reverse,
    each operation's backfill before its expand.
    """
    current = schema.copy()
    steps: dict[Phase, list[Step]] = {phase: [] for phase in Phase}
    rollbacks: list[list[Step]] = []
    where = migration.path or migration.id
    synced: dict[tuple[str, str], str] = {}
    copied: dict[str, int] = {}
    for position, operation in enumerate(migration.operations, 1):
        name = type(operation).__name__
        try:
            _refuse_crossed_writes(operation, position, synced)
            operation.validate(current, dialect)
            for phase, build in (
                (Phase.EXPAND, operation.expand),
                (Phase.BACKFILL, operation.backfill),
                (Phase.CONTRACT, operation.contract),
            ):
                steps[phase] += [
                    Step(phase, name, s, position=position) for s in build(current, dialect)
                ]
            _refuse_changes_before_a_copy(steps, position, copied)
            rollbacks.append(
                [
                    Step(Phase.ROLLBACK, name, s, undoes=Phase.BACKFILL, position=position)
                    for s in operation.undo_backfill(current, dialect)
                ]
                + [
                    Step(Phase.ROLLBACK, name, s, undoes=Phase.EXPAND, position=position)
                    for s in operation.rollback(current, dialect)
                ]
            )
            operation.apply(current, dialect)
        except SchemaError as exc:
            raise _located(exc, where) from None
        except ZdmigrateError:
            raise
        except Exception as exc:  # the user's operation is malformed: a str where a list goes
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())
            raise InvalidOperation(f"{where}: operation {position} ({name}): {reason}") from exc
    steps[Phase.ROLLBACK] = [step for chunk in reversed(rollbacks) for step in chunk]
    steps[Phase.BACKFILL] = one_pass_per_table(steps[Phase.BACKFILL], dialect)
    return CompiledMigration(migration=migration, before=schema, after=current, steps=steps)


def one_pass_per_table(steps: list[Step], dialect: Dialect) -> list[Step]:
    """The synced copies of one table, by one key, merged into the first of them: one pass
    over the table instead of one per operation, so half the writes (and WAL) for two.

    Safe to run earlier than its own place: a copy reads only columns its operation keeps in
    step, which no other operation of the migration may write, and the steps it moves ahead of
    (index builds, checks, another operation's swap) touch none of them.
    """
    merged: list[Step] = []
    first: dict[tuple[str, tuple[str, ...]], int] = {}
    for step in steps:
        update = step.statement.batched
        if update is None or not update.copy:
            merged.append(step)
            continue
        at = first.setdefault((update.table, update.key), len(merged))
        if at == len(merged):
            merged.append(step)
            continue
        prior = merged[at]
        assert prior.statement.batched is not None
        combined = replace(
            update,
            assignments=prior.statement.batched.assignments + update.assignments,
            where=f"({prior.statement.batched.where}) OR ({update.where})",
        )
        merged[at] = replace(
            prior,
            operation=f"{prior.operation} + {step.operation}",
            statement=dialect.backfill(combined),
        )
    return merged


def _refuse_changes_before_a_copy(
    steps: dict[Phase, list[Step]], position: int, copied: dict[str, int]
) -> None:
    """Refuse an operation whose expand changes a table that an earlier one copies.

    A shadow-table copy runs in backfill, after every operation's expand, and was planned
    without what a later one's expand does to the table (a foreign key, a trigger, which the
    copy would not carry over). Such an operation belongs in its own migration, or before.
    """
    for step in steps[Phase.EXPAND]:
        table = step.statement.table
        if step.position == position and table in copied:
            raise InvalidOperation(
                f"operation {position} ({step.operation}) changes {table} in expand, which "
                f"runs before the shadow-table copy of operation {copied[table]} and the copy "
                "was planned without it: move it before, or to a migration of its own",
                table=table,
            )
    for step in steps[Phase.BACKFILL]:
        if step.position == position and step.statement.shadow is not None:
            copied.setdefault(step.statement.shadow.table, position)


def _refuse_crossed_writes(
    operation: Operation, position: int, synced: dict[tuple[str, str], str]
) -> None:
    """Refuse an operation that writes a column an earlier one keeps in step by trigger.

    The sync trigger takes any write that is not the backfill's for an app's, and ignores the
    backfill's own: a fill trigger or a batched job on that column would leave the two sides
    apart. Such an operation belongs in a later migration, after the first one's contract.
    """
    for table, column in sorted(operation.written_columns()):
        if earlier := synced.get((table, column)):
            raise InvalidOperation(
                f"operation {position} ({type(operation).__name__}) writes {table}.{column}, "
                f"which {earlier} keeps in step by trigger until its contract: "
                "move it to a later migration",
                table=table,
                column=column,
            )
    for key in operation.synced_columns():
        synced[key] = f"operation {position} ({type(operation).__name__})"


def _located(exc: SchemaError, where: str) -> SchemaError:
    """The same error, its message prefixed with the migration it came from."""
    exc.args = (f"{where}: {exc.args[0]}",)
    return exc


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_file(path: Path) -> Migration:
    """Import one migration file; any failure is one line naming the file."""
    module = import_file(path)
    migration = getattr(module, "migration", None)
    if not isinstance(migration, Migration):
        raise MigrationLoadError(str(path), "defines no `migration = Migration(...)`")
    return Migration(
        id=migration.id,
        operations=migration.operations,
        description=migration.description,
        path=str(path),
        checksum=checksum(path),
    )


def import_file(path: Path) -> ModuleType:
    """Import a Python file as a module of its own; any failure is one line naming the file
    and, where it can be found, the line."""
    module_name = (
        f"zdmigrate_migration_{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]}"
    )
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise MigrationLoadError(str(path), "not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except FileNotFoundError:
        raise MigrationLoadError(str(path), "no such file") from None
    except MigrationLoadError as exc:  # Migration(...) refused its arguments
        raise MigrationLoadError(str(path), exc.reason, error_line(exc, path)) from None
    except Exception as exc:  # the user's file: any error is bad input, not our crash
        reason = f"{type(exc).__name__}: {exc}"
        raise MigrationLoadError(str(path), reason, error_line(exc, path)) from None
    finally:
        sys.modules.pop(module_name, None)
    return module


def error_line(exc: BaseException, path: Path) -> int | None:
    """The line of the file at ``path`` that ``exc`` came through, the innermost one."""
    if isinstance(exc, SyntaxError) and exc.lineno:
        return exc.lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if Path(frame.filename).resolve() == path.resolve():
            return frame.lineno
    return None


def load_sql_file(path: Path) -> Migration:
    """A plain ``.sql`` migration (Flyway, dbmate, hand-written): its statements run in expand,
    as one RunSQL whose locks and effects are read off the SQL by :mod:`zdmigrate.analyze`."""
    from zdmigrate.ops.run_sql import RunSQL

    try:
        text = path.read_text(encoding="utf-8-sig")  # editors on Windows start files with a BOM
    except FileNotFoundError:
        raise MigrationLoadError(str(path), "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MigrationLoadError(str(path), f"cannot read: {exc}") from None
    if not text.strip():
        raise MigrationLoadError(str(path), "the file is empty")
    return Migration(
        id=path.stem, operations=[RunSQL(text)], path=str(path), checksum=checksum(path)
    )


def load_path(path: Path) -> list[Migration]:
    """One migration file (``.py`` or plain ``.sql``), or every one in a folder, ordered by id."""
    if path.is_dir():
        migrations = [_load(p) for p in migration_files(path)]
        if not migrations:
            raise MigrationLoadError(str(path), "no migration files in this folder")
    elif path.suffix == ".py":
        migrations = [load_file(path)]
    elif path.suffix == ".sql":
        migrations = [load_sql_file(path)]
    elif not path.exists():
        raise MigrationLoadError(str(path), "no such file or folder")
    else:
        raise MigrationLoadError(
            str(path), "expected a migration .py or .sql file, or a folder of them"
        )
    return _unique(migrations)


def migration_files(folder: Path) -> list[Path]:
    """The migration files of ``folder``, ordered by name as ids are (see :func:`id_order`)."""
    files = [
        p for p in folder.iterdir() if p.suffix in (".py", ".sql") and not p.name.startswith("_")
    ]
    return sorted(files, key=lambda p: id_order(p.stem))


def _load(path: Path) -> Migration:
    return load_sql_file(path) if path.suffix == ".sql" else load_file(path)


def _unique(migrations: list[Migration]) -> list[Migration]:
    """The migrations ordered by id; two files with one id are refused."""
    seen: dict[str, str | None] = {}
    for m in migrations:
        if m.id in seen:
            raise MigrationLoadError(str(m.path), f"id {m.id!r} is also used by {seen[m.id]}")
        seen[m.id] = m.path
    return sorted(migrations, key=lambda m: id_order(m.id))


def id_order(migration_id: str) -> tuple[tuple[str | int, ...], str]:
    """The sort key of an id: its runs of digits compared as numbers, so that Flyway's
    ``V2__x`` comes before ``V10__y`` (zero-padded ids order the same either way); the id
    itself breaks ties such as ``01_a`` and ``1_a``."""
    parts = re.split(r"(\d+)", migration_id)
    return tuple(int(part) if i % 2 else part for i, part in enumerate(parts)), migration_id


def load_release(paths: Sequence[Path]) -> tuple[list[Migration], list[Migration]]:
    """The migrations at ``paths`` (files or folders), and their history: for files, the
    migrations of the same folder that come before the first of them, so that they are
    compiled against the schema those make. Returns (history, wanted).

    Files are named after their ids (``0003_users.py``, Flyway's ``V3__users.sql``): only the
    files named before the first one given are loaded for its history, so a file being written
    after it cannot break the plan of an earlier one.
    """
    wanted = _unique([m for path in paths for m in load_path(path)])
    if any(path.is_dir() for path in paths):
        return [], wanted
    first = id_order(wanted[0].id)
    named_first = min(id_order(path.stem) for path in paths)
    given = {path.resolve() for path in paths}
    folders = {path.parent for path in paths if path.parent.is_dir()}
    earlier = [
        _load(file)
        for folder in sorted(folders)
        for file in migration_files(folder)
        if id_order(file.stem) < named_first and file.resolve() not in given
    ]
    shown = {m.id for m in wanted}
    history = [m for m in earlier if id_order(m.id) < first and m.id not in shown]
    return _unique(history), wanted


def is_alembic(paths: Sequence[Path]) -> bool:
    """An Alembic project's ``alembic.ini``, given as the one path."""
    return len(paths) == 1 and paths[0].suffix == ".ini"


def load_any_release(
    paths: Sequence[Path], dialect: Dialect, revisions: str | None = None
) -> tuple[list[Migration], list[Migration]]:
    """:func:`load_release`; or, for an Alembic project's ``alembic.ini``, its revisions
    recorded for ``dialect`` (``revisions``: a range ``A:B``, see :mod:`zdmigrate.alembic`)."""
    if is_alembic(paths):
        from zdmigrate.alembic.record import load_revisions

        return load_revisions(paths[0], dialect, revisions)
    if revisions is not None:
        raise BadInput("a revision range is for an alembic.ini")
    return load_release(paths)


def compile_release(
    history: Sequence[Migration], wanted: Sequence[Migration], dialect: Dialect, schema: Schema
) -> tuple[Schema, list[CompiledMigration]]:
    """Compile ``history`` (not kept) and then ``wanted`` on top of ``schema``.
    Returns the schema before the first wanted migration, and the wanted ones compiled."""
    for migration in history:
        schema = compile_migration(migration, schema, dialect).after
    before = schema
    compiled = []
    for migration in wanted:
        compiled.append(compile_migration(migration, schema, dialect))
        schema = compiled[-1].after
    return before, compiled
