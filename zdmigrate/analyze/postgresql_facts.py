"""What analysing one PostgreSQL statement yields, and what it is analysed against.

The lock vocabulary is the manual's ("Explicit Locking", table 13.2), in the words
:mod:`zdmigrate.dialects.postgresql` uses for the SQL zdmigrate writes itself: ACCESS EXCLUSIVE
blocks reads and writes; EXCLUSIVE, SHARE ROW EXCLUSIVE and SHARE block writes; the weaker
modes block neither (SHARE UPDATE EXCLUSIVE only holds off other DDL and VACUUM).

:class:`Context` is the state a statement is analysed in: the schema model as the text has
changed it so far (a copy of the caller's, whose tables are copied on first change), the tables
the text created, and the functions it declared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from zdmigrate.dialects.postgresql import (
    ACCESS_EXCLUSIVE,
    SHARE,
    SHARE_ROW_EXCLUSIVE,
    SHARE_UPDATE_EXCLUSIVE,
    PostgreSQLDialect,
)
from zdmigrate.schema import Schema, Table

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.findings import Finding, Rule

Node = Any
"""A pglast AST node. pglast declares every field of every node optional; the grammar fills the
fields this analysis reads, so nodes are read untyped rather than through a wall of asserts."""

NO_LOCK = "none"
UNKNOWN_LOCK = "unknown"
ACCESS_SHARE = "ACCESS SHARE"
ROW_SHARE = "ROW SHARE"
ROW_EXCLUSIVE = "ROW EXCLUSIVE"
EXCLUSIVE = "EXCLUSIVE"
LOCK_MODES = (
    ACCESS_SHARE,
    ROW_SHARE,
    ROW_EXCLUSIVE,
    SHARE_UPDATE_EXCLUSIVE,
    SHARE,
    SHARE_ROW_EXCLUSIVE,
    EXCLUSIVE,
    ACCESS_EXCLUSIVE,
)
"""Weakest first; ``LOCK TABLE``'s mode number is the 1-based position here."""
BLOCKS: dict[str, tuple[str, ...]] = {
    **PostgreSQLDialect.lock_blocks,
    EXCLUSIVE: ("writes",),
    UNKNOWN_LOCK: ("reads", "writes"),
}


def strength(lock: str) -> int:
    """Orders locks: "none" lowest, "unknown" highest (the safe reading of what nobody knows)."""
    if lock == UNKNOWN_LOCK:
        return len(LOCK_MODES)
    return LOCK_MODES.index(lock) if lock in LOCK_MODES else -1


def what_it_blocks(lock: str) -> str:
    blocked = BLOCKS.get(lock, ())
    return f"blocks {' and '.join(blocked)}" if blocked else "blocks neither reads nor writes"


@dataclass
class Described:
    """The facts of one statement, and the findings its syntax alone gives."""

    lock: str = NO_LOCK
    """The strongest lock taken, on any table."""
    table: str | None = None
    """The table the statement is about (the first one it locks, unless set)."""
    locks: list[tuple[str, str]] = field(default_factory=list)
    """Every (table, lock) taken: a foreign key locks the referenced table too."""
    rewrite: bool = False
    scan: bool = False
    transactional: bool = True
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    long_work: str | None = None
    """What makes this statement long on an existing table ("builds an index on users")."""
    not_valid: list[tuple[str, str]] = field(default_factory=list)
    """(table, constraint) added NOT VALID."""
    validates: list[tuple[str, str]] = field(default_factory=list)
    """(table, constraint) validated."""
    blocks: tuple[str, ...] | None = None
    """What the lock blocks, where it differs from the lock's own reach."""

    def take(self, table: str | None, lock: str) -> None:
        if table is not None:
            self.locks.append((table, lock))
            if self.table is None:
                self.table = table
        if strength(lock) > strength(self.lock):
            self.lock = lock

    def find(
        self,
        rule: Rule,
        message: str,
        *,
        table: str | None = None,
        column: str | None = None,
        help: str | None = None,
    ) -> None:
        self.findings.append(rule.finding(message, help=help, table=table, column=column))


class Context:
    """The schema model and what the text made so far (see the module's docstring)."""

    def __init__(self, dialect: Dialect, schema: Schema) -> None:
        self.dialect = dialect
        self.version = dialect.version
        self.model = schema.copy()
        self.new_tables: set[str] = set()
        self.new_types: set[str] = set()
        self.functions: dict[str, str] = {}
        """Functions the text created → volatility: "i", "s" or "v"."""

    def existing(self, table: str | None) -> bool:
        """A table that was there before the text ran: it may be large and in use."""
        return table is not None and table not in self.new_tables

    def table(self, name: str | None) -> Table | None:
        return self.model.tables.get(name) if name else None

    def writable(self, name: str | None) -> Table | None:
        """The model's table ``name``, to change (the copy's own, not the caller's)."""
        return self.model.table(name) if name in self.model.tables else None

    def index_table(self, index: str) -> str | None:
        """The table that has index (or unique constraint) ``index``, if the model knows it."""
        schema, _, name = index.rpartition(".")
        for key, table in self.model.tables.items():
            if (table.schema or "") == schema and (name in table.indexes or name in table.uniques):
                return key
        return None


def qualified(relation: Node) -> str:
    """The model's key for a table: bare in the default schema (taken to be ``public``)."""
    return name_of(relation.schemaname, str(relation.relname))


def name_of(schema: str | None, name: str) -> str:
    return name if schema in (None, "public") else f"{schema}.{name}"


def dotted(names: Node) -> str:
    """A qualified name from the parser's list of parts (a type, an index in DROP INDEX)."""
    parts = [str(n.sval) for n in names]
    return name_of(parts[-2] if len(parts) > 1 else None, parts[-1])


def object_name(item: Node) -> str:
    """The name of one object of a DROP: parts of a name, a type, a function, or a bare name."""
    if isinstance(item, tuple | list):
        return dotted(item)
    for parts in (getattr(item, "names", None), getattr(item, "objname", None)):
        if parts:
            return dotted(parts)
    return str(getattr(item, "sval", item))
