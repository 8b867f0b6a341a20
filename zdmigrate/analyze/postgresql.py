"""Analyse PostgreSQL migration SQL (plain ``.sql`` files, RunSQL bodies) with a real parser.

The text is parsed with pglast (the server's own grammar). Each statement gets the lock facts
of :mod:`zdmigrate.analyze.postgresql_statements` for the dialect's server version, with the
schema model carried through by :mod:`zdmigrate.analyze.postgresql_model`. This module adds what
statements do to each other:

- Transactions. ``in_transaction`` marks an explicit BEGIN … COMMIT block (BEGIN and COMMIT
  included). Locks are held until the transaction ends, and zdmigrate run — like Flyway, dbmate
  and golang-migrate — runs a text's consecutive transactional statements in one transaction, so
  a lock taken by one statement is still held by the next ones unless a COMMIT, or a statement
  that must run on its own (CONCURRENTLY), comes between. Long work done while such a lock is
  held (ZD319), and VALIDATE in the transaction of its ADD … NOT VALID (ZD311), are found there.
- Timeouts. Under an external runner, the first statement that waits for a blocking lock with
  no ``SET lock_timeout`` / ``statement_timeout`` before it is a finding of the text (ZD321).
- Suppressions: ``-- zdmigrate: ignore ZD301[,ZD302] reason`` on the statement's first line or
  on the comment lines just above it.
- A dbmate ``-- migrate:down`` (or goose ``-- +goose Down``) line ends the forward migration:
  what follows is its rollback, not part of it. Under an external runner, a statement that must
  run on its own in a file of several is a finding (ZD304), unless dbmate's
  ``transaction:false`` or goose's ``NO TRANSACTION`` says the file runs without one.

A ROLLBACK in the text does not undo what the block did to the schema model.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pglast import ast, parse_sql
from pglast.parser import ParseError, scan

from zdmigrate.analyze import Analysis, AnalyzedStatement, ignores_at
from zdmigrate.analyze import postgresql_rules as rules
from zdmigrate.analyze.postgresql_facts import (
    BLOCKS,
    UNKNOWN_LOCK,
    Context,
    Described,
    Node,
    dotted,
    strength,
    what_it_blocks,
)
from zdmigrate.analyze.postgresql_model import apply
from zdmigrate.analyze.postgresql_statements import (
    begins_transaction,
    describe,
    ends_transaction,
)
from zdmigrate.analyze.postgresql_types import function_name, walk
from zdmigrate.errors import InvalidOperation

if TYPE_CHECKING:
    from zdmigrate.dialects import Dialect
    from zdmigrate.findings import Finding
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement

DOWN_MARKER = re.compile(r"--\s*(migrate:down|\+goose\s+down)\b", re.IGNORECASE)
NO_TRANSACTION_MARKER = re.compile(
    r"--\s*(migrate:up\b.*\btransaction:false|\+goose\s+no\s+transaction|running\s+upgrade\b)",
    re.IGNORECASE,
)
"""dbmate's and goose's way to say a file runs without the transaction they wrap files in; and
the comment Alembic's offline script (``alembic upgrade --sql``) starts each revision with, whose
transactions are the BEGIN and COMMIT it writes."""
TIMEOUTS = ("lock_timeout", "statement_timeout")


def analyze(sql: str, dialect: Dialect, schema: Schema, *, external_runner: bool) -> Analysis:
    """See :func:`zdmigrate.analyze.analyze`."""
    raw_statements, unwrapped = _split(sql)
    walk_ = _Walk(Context(dialect, schema), external_runner)
    statements = [walk_.step(raw) for raw in raw_statements]
    walk_.finish()
    if external_runner and not unwrapped and len(statements) > 1:
        statements = [_in_the_runners_transaction(s) for s in statements]
    return Analysis(statements, walk_.ctx.model, walk_.findings)


def _in_the_runners_transaction(analysed: AnalyzedStatement) -> AnalyzedStatement:
    """Flyway, dbmate and golang-migrate run a file of several statements in one transaction,
    where a statement that must run on its own fails."""
    if analysed.statement.transactional or analysed.in_transaction:
        return analysed
    finding = rules.NOT_IN_TRANSACTION.finding(
        f"{_command(analysed.statement.sql)} cannot run inside a transaction block, and "
        "migration runners (Flyway, dbmate, golang-migrate) run a file of several statements in "
        "one: it fails",
        help="give it a migration file of its own (dbmate: -- migrate:up transaction:false)",
        table=analysed.statement.table,
    )
    return replace(analysed, findings=(*analysed.findings, finding))


@dataclass(frozen=True)
class _RawStatement:
    node: Node
    text: str
    line: int
    ignores: dict[str, str]


def _split(sql: str) -> tuple[list[_RawStatement], bool]:
    """The statements of ``sql`` with their text, first line and suppressions; and whether a
    runner's marker says the file runs outside a transaction."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", sql)]

    def line_of(offset: int) -> int:
        return bisect_right(line_starts, offset)

    try:
        tokens = scan(sql)
    except ParseError as exc:
        raise _invalid(exc, line_of) from None
    end = len(sql)
    unwrapped = False
    comments: dict[int, list[str]] = {}
    code_lines: set[int] = set()
    for token in tokens:
        if token.name not in ("SQL_COMMENT", "C_COMMENT"):
            code_lines.add(line_of(token.start))
            continue
        text = sql[token.start : token.end + 1]
        if DOWN_MARKER.match(text):
            end = token.start
            break
        unwrapped = unwrapped or NO_TRANSACTION_MARKER.match(text) is not None
        comments.setdefault(line_of(token.start), []).append(text)
    try:
        raw_statements = parse_sql(sql[:end])
    except ParseError as exc:
        raise _invalid(exc, line_of) from None
    statements = []
    for raw in raw_statements:
        start: int = raw.stmt_location or 0
        text = sql[start : start + (raw.stmt_len or end)].strip()
        line = line_of(start)
        ignores = ignores_at(line, comments, code_lines)
        statements.append(_RawStatement(raw.stmt, text, line, ignores))
    return statements, unwrapped


def _invalid(error: ParseError, line_of: Callable[[int], int]) -> InvalidOperation:
    message, location = (*error.args, 0)[:2]
    if message == 'syntax error at or near "\\"':
        message += ": psql meta-commands (\\i, \\set, COPY … FROM stdin data) are not SQL"
    return InvalidOperation(f"line {line_of(location)}: {message}")


@dataclass
class _Transaction:
    """What a transaction has done so far that later statements in it must answer for."""

    held: list[tuple[str, str, int]] = field(default_factory=list)
    """(table, lock, line) of locks that block reads or writes of a table that existed."""
    not_valid: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    """(table, constraint) added NOT VALID → the line and the lock of that ADD."""


class _Walk:
    def __init__(self, ctx: Context, external_runner: bool) -> None:
        self.ctx = ctx
        self.external_runner = external_runner
        self.findings: list[Finding] = []
        self.begin_line: int | None = None
        """The line of the BEGIN of the explicit block we are in, if any."""
        self.transaction = _Transaction()
        self.timeouts: set[str] = set()
        self.timeout_reported = False

    @property
    def explicit(self) -> bool:
        return self.begin_line is not None

    def step(self, raw: _RawStatement) -> AnalyzedStatement:
        node = raw.node
        d = describe(node, self.ctx)
        findings = list(d.findings)
        in_transaction = self.explicit or begins_transaction(node)
        if begins_transaction(node):
            if self.explicit:
                findings.append(
                    rules.UNBALANCED_TRANSACTION.finding(
                        f"BEGIN inside the transaction begun on line {self.begin_line}: the "
                        "server ignores it, and the first COMMIT ends the outer transaction"
                    )
                )
            else:
                self.begin_line = raw.line
                self.transaction = _Transaction()
        elif ends_transaction(node):
            if not self.explicit:
                findings.append(
                    rules.UNBALANCED_TRANSACTION.finding(
                        "COMMIT or ROLLBACK with no BEGIN before it in the text: it ends whatever "
                        "transaction the runner opened"
                    )
                )
            self.begin_line = None
            self.transaction = _Transaction()
        elif d.transactional:
            findings += self._within_transaction(raw, d)
        elif self.explicit:
            findings.append(
                rules.NOT_IN_TRANSACTION.finding(
                    f"{self._named(raw.text, node)} cannot run inside a transaction block "
                    f"(BEGIN on line {self.begin_line}): it fails",
                    table=d.table,
                )
            )
        else:
            self.transaction = _Transaction()  # it runs on its own, between two transactions
        self._track_timeouts(node, raw, d)
        statement = self._statement(raw, d)
        apply(node, self.ctx)
        return AnalyzedStatement(statement, raw.line, tuple(findings), raw.ignores, in_transaction)

    def finish(self) -> None:
        if self.explicit:
            self.findings.append(
                rules.UNBALANCED_TRANSACTION.finding(
                    f"the BEGIN on line {self.begin_line} is never committed: the runner decides "
                    "whether the block commits or rolls back",
                    line=self.begin_line,
                )
            )

    def _named(self, text: str, node: Node) -> str:
        if isinstance(node, ast.AlterEnumStmt):
            return f"Before PostgreSQL 12, ALTER TYPE {dotted(node.typeName)} ADD VALUE"
        return _command(text)

    def _within_transaction(self, raw: _RawStatement, d: Described) -> list[Finding]:
        """ZD311 and ZD319, then what this statement leaves held for the next ones."""
        findings = []
        where = (
            f"the transaction begun on line {self.begin_line}"
            if self.explicit
            else "the same transaction (zdmigrate run, like most migration runners, runs a "
            "text's statements in one transaction)"
        )
        validated_with_its_add = False
        for table, name in d.validates:
            added_by = self.transaction.not_valid.get((table, name))
            if added_by is None or not self.ctx.existing(table):
                continue
            validated_with_its_add = True
            added, lock = added_by
            findings.append(
                rules.VALIDATE_SAME_TRANSACTION.finding(
                    f"VALIDATE CONSTRAINT {name} runs in {where} as its ADD … NOT VALID on line "
                    f"{added}: the {lock} lock of that ADD, which {what_it_blocks(lock)} of "
                    f"{table}, is held for the whole scan",
                    table=table,
                )
            )
        # A lock this statement takes again, as strong, is its own finding's business.
        own = {table: max(strength(lk) for t, lk in d.locks if t == table) for table, _ in d.locks}
        held = [h for h in self.transaction.held if strength(h[1]) > own.get(h[0], -1)]
        if d.long_work and held and not validated_with_its_add:
            table, lock, line = max(held, key=lambda h: strength(h[1]))
            findings.append(
                rules.LONG_WORK_UNDER_LOCK.finding(
                    f"this statement {d.long_work} in {where}, while the {lock} lock taken on "
                    f"{table} on line {line} is held: it {what_it_blocks(lock)} of {table} "
                    "until the transaction ends",
                    table=table,
                )
            )
        for table, lock in d.locks:
            # Held already since an earlier line: that line is the one to name (and a long
            # file of ALTERs on one table must not make every later statement slower).
            again = any(h[:2] == (table, lock) for h in self.transaction.held)
            if self.ctx.existing(table) and BLOCKS.get(lock) and not again:
                self.transaction.held.append((table, lock, raw.line))
        for table, name in d.not_valid:
            lock = max((lk for t, lk in d.locks if t == table), key=strength)
            self.transaction.not_valid[table, name] = (raw.line, lock)
        return findings

    def _track_timeouts(self, node: Node, raw: _RawStatement, d: Described) -> None:
        if isinstance(node, ast.VariableSetStmt) and node.name in TIMEOUTS:
            values = [getattr(a.val, "sval", getattr(a.val, "ival", "")) for a in node.args or ()]
            if values and not _is_zero(values[0]):
                self.timeouts.add(node.name)
            else:
                self.timeouts.discard(node.name)
        for call in walk(node) if isinstance(node, ast.SelectStmt) else ():
            if isinstance(call, ast.FuncCall) and function_name(call) == "set_config":
                first = call.args[0] if call.args else None
                value = call.args[1] if call.args and len(call.args) > 1 else None
                name = getattr(getattr(first, "val", None), "sval", None)
                setting = getattr(getattr(value, "val", None), "sval", "0")
                if name in TIMEOUTS and not _is_zero(setting):
                    self.timeouts.add(name)
        if not self.external_runner or self.timeout_reported:
            return
        blocking = [t for t, lock in d.locks if self.ctx.existing(t) and BLOCKS.get(lock)]
        if not blocking and not (not d.locks and BLOCKS.get(d.lock)):
            return
        missing = [name for name in TIMEOUTS if name not in self.timeouts]
        if not missing:
            return
        self.timeout_reported = True
        on = f" on {blocking[0]}" if blocking else ""
        self.findings.append(
            rules.MISSING_TIMEOUT.finding(
                f"{_command(raw.text)} waits for {d.lock}{on} with no {' or '.join(missing)} set "
                "before it: while it waits behind a long transaction, every query on the table "
                "queues behind it (and the same holds for the statements after it)",
                table=blocking[0] if blocking else None,
                line=raw.line,
            )
        )

    def _statement(self, raw: _RawStatement, d: Described) -> Statement:
        blocks = d.blocks if d.blocks is not None else BLOCKS.get(d.lock, ())
        long_under_lock = bool(blocks) and (d.rewrite or d.scan)
        touches_existing = any(self.ctx.existing(t) for t, _ in d.locks) or not d.locks
        notes = list(d.notes)
        notes += [f"also {lock} on {table}" for table, lock in d.locks if table != d.table]
        return self.ctx.dialect.statement(
            raw.text,
            d.lock,
            blocks=blocks,
            transactional=d.transactional,
            rewrite=d.rewrite,
            scan=d.scan,
            online=not (long_under_lock and touches_existing) and d.lock != UNKNOWN_LOCK,
            note="; ".join(dict.fromkeys(notes)) or None,
            table=d.table,
        )


def _is_zero(value: object) -> bool:
    """``0``, ``'0'``, ``'0ms'``: the setting that turns a timeout off."""
    return re.fullmatch(r"\s*0+\s*[a-z]*\s*", str(value)) is not None


def _command(text: str) -> str:
    """The keywords a statement starts with (``CREATE UNIQUE INDEX CONCURRENTLY``), to name it."""
    words = []
    for token in scan(text):
        if token.kind == "NO_KEYWORD":
            break
        words.append(text[token.start : token.end + 1].upper())
    return " ".join(words) or text.split()[0]
