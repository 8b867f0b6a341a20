"""Record what a plain Alembic revision does, without a database, as a migration to plan.

A revision's ``upgrade()`` runs under Alembic's own offline mode (``alembic upgrade --sql``):
every operation — ``op.add_column``, ``op.create_index(postgresql_concurrently=True)``,
``op.execute("…")``, ``batch_alter_table``, ``autocommit_block`` — is compiled by Alembic for
the dialect into the SQL it would send. The SQL is kept with the revision-file line of the call
that emitted it, and with the ``BEGIN`` / ``COMMIT`` Alembic writes around it (PostgreSQL): a
revision runs in one transaction, and an ``autocommit_block`` commits it and runs outside one.
The text is then read by the same SQL analysers as a plain ``.sql`` migration, as one RunSQL
in expand: a plain revision runs while the old app is still serving, before the new one
is deployed.

A revision that cannot run offline — it reads data through ``op.get_bind()``, imports a module
missing here, uses ``context`` for arguments — is reported as not recorded (ZD501), and the
rest of the history is still planned.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zdmigrate.errors import MigrationLoadError
from zdmigrate.findings import Finding, Severity, rule
from zdmigrate.migration import Migration, checksum, error_line, import_file
from zdmigrate.ops.run_sql import RunSQL

if TYPE_CHECKING:
    from sqlalchemy import Column, Table

    from zdmigrate.alembic.history import Revision
    from zdmigrate.dialects import Dialect
    from zdmigrate.ops.base import Operation

NOT_RECORDED = rule(
    "ZD501",
    "alembic-not-recorded",
    Severity.WARNING,
    "An Alembic revision whose upgrade() cannot run offline is not planned.",
    "review it by hand; to have it planned, keep data reads out of upgrade() (or in a "
    "zdmigrate Backfill) and make what it imports importable where the plan runs",
)
PYTHON_SIDE_DEFAULT = rule(
    "ZD502",
    "python-side-default",
    Severity.WARNING,
    "A column added with a Python-side default= and no server_default.",
    "give the column server_default= (what the database fills in), and keep default= for the "
    "model if you like",
)
MIXED = rule(
    "ZD503",
    "alembic-mixed-revision",
    Severity.ERROR,
    "An Alembic revision calls both zdmigrate operations and plain Alembic operations.",
    "move the plain operations to a revision of their own, before or after this one",
)
HEADER = "-- Running upgrade {down} -> {id}"
"""The comment Alembic's offline script puts before each revision's SQL; the PostgreSQL
analyser reads it as "the transactions are the BEGIN and COMMIT written here"."""


def load_revisions(
    ini: Path, dialect: Dialect, span: str | None
) -> tuple[list[Migration], list[Migration]]:
    """The revisions of the project configured by ``ini``, recorded: (history, wanted) as
    :func:`zdmigrate.alembic.history.select` splits them."""
    from zdmigrate.alembic.history import read_history, select

    history, wanted = select(read_history(ini), span)
    before = [record(r, dialect) for r in history]
    planned = [record(r, dialect) for r in wanted]
    unknown = [f for m in before for f in m.findings if f.code == NOT_RECORDED.code]
    if unknown:  # the schema the range starts from is missing what these revisions made
        first = planned[0]
        planned[0] = replace(first, findings=(*unknown, *first.findings))
    return before, planned


def record(revision: Revision, dialect: Dialect) -> Migration:
    """``revision`` as a migration of one RunSQL in expand, or of none with a ZD501 finding."""
    where = str(revision.path)
    recorder = _Recorder(revision.path)
    try:
        upgrade = _upgrade_of(revision.path)
        recorder.run(upgrade, dialect)
    except MigrationLoadError as exc:
        return _not_recorded(revision, exc.reason, exc.line)
    except _NeedsDatabase as exc:
        return _not_recorded(revision, str(exc), error_line(exc, revision.path))
    except (Exception, SystemExit) as exc:  # the revision's own code failed offline
        reason = f"{type(exc).__name__}: {exc}"
        return _not_recorded(revision, reason, error_line(exc, revision.path))
    if recorder.operations and not recorder.plain:
        return Migration(
            id=revision.id,
            operations=recorder.operations,
            path=where,
            checksum=checksum(revision.path),
            findings=tuple(recorder.findings),
        )
    text, sources = _laid_out(
        HEADER.format(down=", ".join(revision.down), id=revision.id),
        recorder.statements,
        recorder.upgrade_line,
    )
    findings = recorder.findings
    if recorder.operations:  # planned, never run: its plain SQL would run under Alembic's lock
        findings.append(
            MIXED.finding(
                f"revision {revision.id} calls zdmigrate operations and plain Alembic ones: "
                "Alembic's transaction would hold the plain ones' locks while zdmigrate works "
                "beside it, so `alembic upgrade` refuses it",
                file=where,
                line=recorder.plain[0],
                phase="expand",
            )
        )
    operations = [RunSQL(text)] if recorder.statements else []
    return Migration(
        id=revision.id,
        operations=[*operations, *recorder.operations],
        path=where,
        sql_lines=sources,
        findings=tuple(findings),
    )


def runs_in_zdmigrate(migration: Migration) -> bool:
    """Whether a recorded revision is zdmigrate's to run: it has zdmigrate operations and no
    plain ones (a plain revision is Alembic's; it is recorded to know the schema it makes)."""
    return bool(migration.operations) and not migration.sql_lines


def _laid_out(
    header: str, statements: list[tuple[str, int | None]], upgrade_line: int
) -> tuple[str, tuple[int | None, ...]]:
    """The SQL text, each statement on the line of the revision file it came from where the
    order allows (so that "line N" in a finding's message means the revision's line), and the
    revision line of each of its lines. ``BEGIN`` and ``COMMIT`` come from ``def upgrade``."""
    lines = [header]
    sources: list[int | None] = [None]
    for sql, line in statements:
        source = line or upgrade_line
        while len(lines) < source - 1:
            lines.append("")
            sources.append(None)
        for text_line in sql.splitlines():
            lines.append(text_line)
            sources.append(source)
    return "\n".join(lines), tuple(sources)


def _upgrade_of(path: Path) -> Callable[[], object]:
    module = import_file(path)
    upgrade = getattr(module, "upgrade", None)
    if not callable(upgrade):
        raise MigrationLoadError(str(path), "defines no upgrade()")
    return upgrade  # type: ignore[no-any-return]


def _not_recorded(revision: Revision, reason: str, line: int | None) -> Migration:
    reason = " ".join(reason.split())
    finding = NOT_RECORDED.finding(
        f"revision {revision.id} could not be recorded offline, so it is not planned: {reason}",
        file=str(revision.path),
        line=line,
    )
    return Migration(id=revision.id, operations=[], path=str(revision.path), findings=(finding,))


class _NeedsDatabase(Exception):
    pass


class _OfflineBind:
    """What ``op.get_bind()`` gives in an offline record: Alembic's own offline connection,
    whose ``execute`` writes the statement to the record (and whose ``dialect`` is there to
    branch on), but whose results, having no database behind them, end the record."""

    def __init__(self, offline: Any) -> None:
        self._offline = offline

    def __getattr__(self, name: str) -> Any:
        return getattr(self._offline, name)

    def execute(self, *args: Any, **kwargs: Any) -> _NoRows:
        self._offline.execute(*args, **kwargs)
        return _NoRows()


class _NoRows:
    def __getattr__(self, name: str) -> Any:
        raise _NeedsDatabase(
            f"it reads rows from the database (op.get_bind().execute(…).{name}), which an "
            "offline record has none of"
        )

    def __iter__(self) -> Any:
        return self.__getattr__("__iter__")


class _Recorder:
    """Alembic's offline output buffer, keeping each statement with the line that made it."""

    def __init__(self, path: Path) -> None:
        self.where = str(path)
        self.names = {str(path), str(path.absolute()), str(path.resolve())}
        """The file names the revision's code can carry (imports make them absolute)."""
        self.statements: list[tuple[str, int | None]] = []
        self.findings: list[Finding] = []
        self.upgrade_line = 1
        self.operations: list[Operation] = []
        """The zdmigrate operations the revision called (``op.zd_*``)."""
        self.plain: list[int | None] = []
        """The lines of the plain statements it emitted (not Alembic's BEGIN and COMMIT)."""
        self._in_upgrade = False

    def run(self, upgrade: Callable[[], object], dialect: Dialect) -> None:
        from alembic.operations import Operations
        from alembic.runtime.migration import MigrationContext

        from zdmigrate.alembic.operations import COLLECTED, RECORDING

        self.upgrade_line = getattr(getattr(upgrade, "__code__", None), "co_firstlineno", 1)
        quiet = logging.getLogger("alembic.runtime.migration")
        was = quiet.disabled
        quiet.disabled = True  # its "Generating static SQL" is not for the user here
        try:
            context = MigrationContext.configure(
                dialect_name=dialect.name,
                opts={"as_sql": True, "output_buffer": self, "literal_binds": True},
            )
        finally:
            quiet.disabled = was
        setattr(context, RECORDING, True)
        impl = context.impl
        add_column = impl.add_column

        def checked_add_column(table_name: str, column: Column[Any], **kw: Any) -> None:
            self._check_default(table_name, column)
            add_column(table_name, column, **kw)

        impl.add_column = checked_add_column  # type: ignore[method-assign]
        from alembic import op

        running = getattr(op, "_proxy", None)  # the `op` of a live upgrade that records
        failure: BaseException | None = None
        with Operations.context(context) as operations:  # which leaves `op` set if it raises
            offline = operations.get_bind()
            operations.get_bind = lambda: _OfflineBind(offline)  # type: ignore[method-assign,assignment,return-value]
            try:
                if impl.transactional_ddl:
                    impl.emit_begin()
                self._in_upgrade = True
                upgrade()
                self._in_upgrade = False
                if impl.transactional_ddl:
                    impl.emit_commit()
            except (Exception, SystemExit) as exc:
                failure = exc
        if running is not None:
            running._install_proxy()
        if failure is not None:
            raise failure
        self.operations = list(context.__dict__.get(COLLECTED, []))

    def write(self, text: str) -> int:
        sql = text.strip()
        if sql:
            line = self._calling_line()
            self.statements.append((sql, line))
            if self._in_upgrade and sql.upper() not in ("BEGIN;", "COMMIT;"):
                self.plain.append(line)
        return len(text)

    def flush(self) -> None:
        """Part of the file interface Alembic writes to."""

    def _calling_line(self) -> int | None:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename in self.names:
                return frame.f_lineno
            frame = frame.f_back  # type: ignore[assignment]
        return None

    def _check_default(self, table: str | Table, column: Column[Any]) -> None:
        if column.default is None or column.server_default is not None:
            return
        required = " NOT NULL:" if not column.nullable else ":"
        self.findings.append(
            PYTHON_SIDE_DEFAULT.finding(
                f"{table}.{column.name} is added{required} its default= is Python-side, filled "
                "in by SQLAlchemy on the model's inserts, never by the database: the rows "
                "already there and the inserts of the app still running get "
                + ("no value, and fail" if not column.nullable else "NULL"),
                table=str(table),
                column=column.name,
                file=self.where,
                line=self._calling_line(),
                phase="expand",
            )
        )
