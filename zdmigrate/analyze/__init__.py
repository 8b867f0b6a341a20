"""Analysis of SQL text without a database: plain ``.sql`` migrations and RunSQL bodies.

The SQL is parsed with a real parser (pglast for PostgreSQL, sqlglot for MySQL and MariaDB).
Each statement comes back as a :class:`~zdmigrate.steps.Statement` carrying the same lock
facts the dialects declare for the SQL they write themselves (lock, what it blocks, rewrite,
scan, online, transactional), with its line in the text, the findings particular to its syntax,
and the suppressions written beside it (``-- zdmigrate: ignore CODE reason``). The schema model
is carried through the text, so that a table created earlier in the same text needs no lock
warning and later statements see what earlier ones made.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.findings import Finding
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement


IGNORE = re.compile(
    r"zdmigrate:\s*ignore\s+(ZD\d+(?:\s*,\s*ZD\d+)*)\s*(.*?)\s*(?:\*/)?\s*$", re.IGNORECASE
)


def ignores_at(
    line: int, comments: Mapping[int, Sequence[str]], code_lines: Container[int]
) -> dict[str, str]:
    """Rule code → reason, from ``-- zdmigrate: ignore ZD301[,ZD302] reason`` comments on
    ``line`` (a statement's first) or on the comment-only lines just above it. ``comments``:
    comment texts by line; ``code_lines``: the lines that hold code."""
    lines = [line]
    while line - len(lines) in comments and line - len(lines) not in code_lines:
        lines.append(line - len(lines))
    found: dict[str, str] = {}
    for comment_line in reversed(lines):
        for comment in comments.get(comment_line, ()):
            if marked := IGNORE.search(comment):
                found |= dict.fromkeys(re.split(r"\s*,\s*", marked[1].upper()), marked[2])
    return found


@dataclass(frozen=True)
class OnlineDDL:
    """How a MySQL/MariaDB server runs an ALTER TABLE (or CREATE/DROP INDEX) of a table that
    exists: the algorithm and lock it uses, in its own words."""

    algorithm: str
    """INSTANT, NOCOPY, INPLACE or COPY."""
    lock: str
    """NONE, SHARED or EXCLUSIVE."""


@dataclass(frozen=True)
class AnalyzedStatement:
    statement: Statement
    """The SQL of one statement, with its lock facts."""
    line: int
    """1-based line of the statement's first token in the analysed text."""
    findings: tuple[Finding, ...] = ()
    """Findings particular to this statement's syntax (file and line not yet set)."""
    ignores: dict[str, str] = field(default_factory=dict)
    """Rule code → reason, from ``-- zdmigrate: ignore CODE reason`` on the lines just before
    the statement or on its first line."""
    in_transaction: bool = False
    """Inside an explicit BEGIN … COMMIT block of the text."""
    online_ddl: OnlineDDL | None = None
    """MySQL/MariaDB: the server's verdict on an ALTER of an existing table whose every change
    the analyser knows; None for any other statement, and for one the server refuses."""


@dataclass
class Analysis:
    statements: list[AnalyzedStatement]
    schema: Schema
    """The schema model after the text ran (tables the parser could not see stay untouched)."""
    findings: list[Finding] = field(default_factory=list)
    """Findings about the text as a whole (missing timeouts under an external runner)."""


def analyze(
    sql: str, dialect: Dialect, schema: Schema, *, external_runner: bool = False
) -> Analysis:
    """Parse and analyse ``sql`` for ``dialect``'s server, starting from ``schema`` (not changed).

    ``external_runner``: the text is run by another tool than ``zdmigrate run``, which sets no
    lock or statement timeout, so a blocking statement without them is a finding.
    A text that does not parse raises :class:`~zdmigrate.errors.InvalidOperation` naming the line.
    """
    if dialect.name == "postgresql":
        from zdmigrate.analyze.postgresql import analyze as read
    else:
        from zdmigrate.analyze.mysql import analyze as read
    return read(sql, dialect, schema, external_runner=external_runner)
