"""The exceptions zdmigrate raises. One root, leaves that carry what a caller needs.

ZdmigrateError
├── BadInput                 the input is wrong; nothing was changed (CLI exit 2)
│   ├── MigrationLoadError   a migration file that cannot be loaded (path, reason)
│   ├── UnknownDialect       a dialect name zdmigrate does not know (name)
│   ├── SnapshotError        a schema snapshot or app spec that cannot be read (source, reason)
│   ├── ConnectionFailed     the database did not answer (url, already masked)
│   ├── SchemaError          an operation does not fit the schema it is applied to
│   │   ├── TableNotFound    (table)
│   │   ├── TableExists      (table)
│   │   ├── ColumnNotFound   (table, column)
│   │   ├── ColumnExists     (table, column)
│   │   ├── ObjectNotFound   an index, constraint or type (kind, name, table)
│   │   ├── ObjectExists     (kind, name, table)
│   │   └── InvalidOperation anything else an operation refuses (message)
│   ├── UnknownMigration     a migration id the database has no record of (migration)
│   ├── ChangedMigration     the file of an applied migration changed since (path, migration)
│   └── PhaseOrderError      a phase asked for before the one it needs, or after contract
│                            (migration, phase, reason)
├── ExecutionError           a statement failed while running a phase (CLI exit 1)
├── RunnerBusy               another runner holds this database's runner lock (holder)
└── NotReached               a migration has not reached the phase required of it (CLI exit 1)
"""

from __future__ import annotations


class ZdmigrateError(Exception):
    """The root of every error zdmigrate raises on purpose."""


class BadInput(ZdmigrateError):
    """Input that zdmigrate refuses before touching any database."""


class MigrationLoadError(BadInput):
    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"{path}: {where}{reason}")


class UnknownDialect(BadInput):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown dialect {name!r}: expected postgresql, mysql or mariadb")


class SnapshotError(BadInput):
    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class ConnectionFailed(BadInput):
    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"cannot connect to {url}: {reason}")


class SchemaError(BadInput):
    """An operation that does not fit the schema model it is validated against."""


class TableNotFound(SchemaError):
    def __init__(self, table: str) -> None:
        self.table = table
        super().__init__(f"table {table!r} does not exist")


class TableExists(SchemaError):
    def __init__(self, table: str) -> None:
        self.table = table
        super().__init__(f"table {table!r} already exists")


class ColumnNotFound(SchemaError):
    def __init__(self, table: str, column: str) -> None:
        self.table = table
        self.column = column
        super().__init__(f"column {column!r} does not exist in table {table!r}")


class ColumnExists(SchemaError):
    def __init__(self, table: str, column: str) -> None:
        self.table = table
        self.column = column
        super().__init__(f"column {column!r} already exists in table {table!r}")


class ObjectNotFound(SchemaError):
    def __init__(self, kind: str, name: str, table: str | None = None) -> None:
        self.kind = kind
        self.name = name
        self.table = table
        where = f" on table {table!r}" if table else ""
        super().__init__(f"{kind} {name!r} does not exist{where}")


class ObjectExists(SchemaError):
    def __init__(self, kind: str, name: str, table: str | None = None) -> None:
        self.kind = kind
        self.name = name
        self.table = table
        where = f" on table {table!r}" if table else ""
        super().__init__(f"{kind} {name!r} already exists{where}")


class InvalidOperation(SchemaError):
    def __init__(self, message: str, table: str | None = None, column: str | None = None) -> None:
        self.table = table
        self.column = column
        super().__init__(message)


class ExecutionError(ZdmigrateError):
    """A statement failed while a phase ran."""

    def __init__(self, migration: str, phase: str, sql: str, reason: str) -> None:
        self.migration = migration
        self.phase = phase
        self.sql = sql
        self.reason = reason
        super().__init__(f"{migration} {phase}: {reason}")


class CopyStopped(ExecutionError):
    """A shadow-table copy stopped rather than lose or misplace rows: a chunk's warning of
    data loss, a checksum that still differs, row counts that do not match."""


class UnknownMigration(BadInput):
    def __init__(self, migration: str) -> None:
        self.migration = migration
        super().__init__(f"no migration {migration!r} has run on this database")


class ChangedMigration(BadInput):
    def __init__(self, path: str, migration: str) -> None:
        self.path = path
        self.migration = migration
        super().__init__(
            f"{path}: migration {migration!r} changed since it was applied; restore the file "
            "as it was (to change a migration, roll it back first)"
        )


class PhaseOrderError(BadInput):
    def __init__(self, migration: str, phase: str, reason: str) -> None:
        self.migration = migration
        self.phase = phase
        self.reason = reason
        super().__init__(f"{migration}: cannot {phase}: {reason}")


class RunnerBusy(ZdmigrateError):
    def __init__(self, holder: str, waited_s: float) -> None:
        self.holder = holder
        self.waited_s = waited_s
        super().__init__(
            f"another zdmigrate runner is working on this database ({holder}); "
            f"waited {waited_s:g} s (--wait SECONDS to wait longer)"
        )


class NotReached(ZdmigrateError):
    def __init__(self, migration: str, phase: str, state: str) -> None:
        self.migration = migration
        self.phase = phase
        self.state = state
        super().__init__(f"{migration} has not reached {phase} ({state})")
