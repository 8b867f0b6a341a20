"""Analysis of MySQL 8 and MariaDB SQL: for each statement, how that server and version runs it.

The text is split as the runners split it (:meth:`~zdmigrate.dialects.base.Dialect.split_script`),
so the n-th analysed statement is the n-th statement run. Each is read over sqlglot's tokens
(:mod:`~zdmigrate.analyze.mysql_tokens`); an ALTER TABLE clause by clause
(:mod:`~zdmigrate.analyze.mysql_alter`), whose changes the server's online DDL facts
(:mod:`~zdmigrate.analyze.mysql_online`) turn into the algorithm (INSTANT, NOCOPY, INPLACE or
COPY) and lock the server will use, or into the error it will raise for an ALGORITHM= or LOCK=
clause it cannot honour. Those become the statement's lock facts, in the dialect's words, and
the findings of :mod:`~zdmigrate.analyze.mysql_rules`.

Every ALTER also waits for an exclusive metadata lock at its start and end: behind a long
transaction, and with every query of the table queued behind it. A text run by another tool
than ``zdmigrate run`` must bound that wait itself (``SET SESSION lock_wait_timeout``).
"""

from __future__ import annotations

import bisect
import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlglot import TokenType, exp
from sqlglot.errors import TokenError

from zdmigrate.analyze import Analysis, AnalyzedStatement, OnlineDDL
from zdmigrate.analyze import mysql_rules as rules
from zdmigrate.analyze.mysql_alter import (
    REBUILD_REMEDY,
    AlterRequest,
    Change,
    Session,
    TableEditor,
    option_value,
)
from zdmigrate.analyze.mysql_online import Algorithm, Lock, Server, decide, instant
from zdmigrate.analyze.mysql_text import SourceText
from zdmigrate.analyze.mysql_tokens import (
    Cursor,
    KeyDefinition,
    Unreadable,
    column_definition,
    key_definition,
    key_parts,
    parse,
    source,
    split_top,
    tokenize,
    words,
)
from zdmigrate.dialects.mysql import EXCLUSIVE, METADATA, SHARED, TABLE_WRITE
from zdmigrate.errors import InvalidOperation
from zdmigrate.schema import Table, join_name, split_name

if TYPE_CHECKING:
    from sqlglot import Token

    from zdmigrate.dialects import Dialect
    from zdmigrate.findings import Finding
    from zdmigrate.schema import Schema
    from zdmigrate.steps import Statement

KEY_HEADS = (
    *("CONSTRAINT", "PRIMARY KEY", "UNIQUE", "INDEX", "KEY", "FULLTEXT", "SPATIAL"),
    *("FOREIGN KEY", "CHECK"),
)
LOCK_NAMES = {Lock.NONE: METADATA, Lock.SHARED: SHARED, Lock.EXCLUSIVE: EXCLUSIVE}
NEW_TABLE_NOTE = "a table created earlier in this text: nothing else uses it yet"


def analyze(sql: str, dialect: Dialect, schema: Schema, *, external_runner: bool) -> Analysis:
    """See :func:`zdmigrate.analyze.analyze`."""
    return _Reader(sql, dialect, schema.copy(), external_runner).run()


@dataclass
class _Read:
    """What reading one statement found."""

    statement: Statement
    findings: list[Finding] = field(default_factory=list)
    ddl: bool = False
    """DDL: it commits an open transaction on its own (MySQL has no transactional DDL)."""
    untimed_table: str | None = None
    """An existing table whose metadata lock it waits for with no timeout set."""
    online_ddl: OnlineDDL | None = None


class _Reader:
    def __init__(self, sql: str, dialect: Dialect, schema: Schema, external_runner: bool) -> None:
        self.sql = sql
        self.dialect = dialect
        self.server = Server(dialect.name == "mariadb", dialect.version)
        self.schema = schema
        self.external_runner = external_runner
        self.session = Session()
        self.charsets: dict[str, str] = {}
        self.created: set[str] = set()

    def run(self) -> Analysis:
        try:
            tokens = tokenize(self.sql)
        except TokenError as exc:
            raise InvalidOperation(f"the SQL cannot be read: {exc}") from None
        text = SourceText(self.sql, tokens)
        chunks = text.spans(self.dialect.split_script(self.sql))
        analysis = Analysis(statements=[], schema=self.schema)
        untimed: tuple[int, str] | None = None
        in_transaction = False
        position = 0
        for start, end in chunks:
            stop = bisect.bisect_left(tokens, end, lo=position, key=lambda t: t.start)
            own, position = tokens[position:stop], stop  # tokens are in order: no rescans
            own = [t for t in own if t.start >= start and t.token_type is not TokenType.SEMICOLON]
            if not own:
                continue
            line = text.line(own[0].start)
            try:
                read = self.statement(own)
            except Unreadable as exc:
                raise InvalidOperation(f"line {line}: {exc}") from None
            if read.ddl:
                in_transaction = False
            head = own[0].text.upper()
            analysis.statements.append(
                AnalyzedStatement(
                    statement=read.statement,
                    line=line,
                    findings=tuple(read.findings),
                    ignores=text.ignores(line),
                    in_transaction=in_transaction and head not in ("COMMIT", "ROLLBACK"),
                    online_ddl=read.online_ddl,
                )
            )
            if head in ("BEGIN", "START"):
                in_transaction = True
            elif head in ("COMMIT", "ROLLBACK"):
                in_transaction = False
            if read.untimed_table and untimed is None:
                untimed = (line, read.untimed_table)
        if self.external_runner and untimed is not None:
            line, table = untimed
            analysis.findings.append(
                rules.NO_LOCK_WAIT_TIMEOUT.finding(
                    f"line {line}: DDL on {table} waits for an exclusive metadata lock with no "
                    "lock_wait_timeout set (the server's default is a year): behind a long "
                    "transaction it waits, and every read and write of the table queues behind it",
                    table=table,
                    line=line,
                )
            )
        return analysis

    # --- statements ------------------------------------------------------------------------

    def statement(self, tokens: list[Token], own_timeout: bool = False) -> _Read:
        c = Cursor(tokens, self.sql)
        text = source(self.sql, tokens)
        if c.at("DELIMITER"):
            raise Unreadable(
                "DELIMITER is a command of the mysql client, not SQL: leave it out "
                "(each statement, a CREATE PROCEDURE … END included, is sent whole)"
            )
        if c.accept("SET STATEMENT"):
            return self._set_statement(c, own_timeout)
        if c.accept("ALTER"):
            online = bool(c.accept("ONLINE"))
            c.accept("IGNORE")
            if c.accept("TABLE"):
                editor = self._editor(c.qualified_name())
                request = AlterRequest(editor.name, lock=Lock.NONE if online else None)
                editor.alter(c, request)
                return self._alter(text, request, own_timeout)
            return _Read(self.dialect.statement(text, "none"))
        if c.accept("CREATE"):
            c.accept("OR REPLACE")
            if c.at("UNIQUE", "FULLTEXT", "SPATIAL", "INDEX", "ONLINE"):
                return self._create_index(c, text, own_timeout)
            if c.accept("TEMPORARY TABLE", "TABLE"):
                return self._create_table(c, text)
            return self._create_other(c, text, own_timeout)
        if c.accept("DROP"):
            if c.accept("INDEX", "ONLINE INDEX"):
                return self._drop_index(c, text, own_timeout)
            if c.accept("TEMPORARY TABLE", "TABLE", "TABLES"):
                return self._drop_tables(c, text, own_timeout)
            if c.accept("TRIGGER"):
                return self._ddl(text, None, own_timeout)
            return _Read(self.dialect.statement(text, "none"))
        if c.accept("RENAME TABLE", "RENAME TABLES"):
            return self._rename_tables(c, text, own_timeout)
        if c.accept("TRUNCATE"):
            c.accept("TABLE")
            return self._truncate(c.qualified_name(), text, own_timeout)
        if c.accept("LOCK TABLES", "LOCK TABLE"):
            return self._lock_tables(c, text)
        if c.accept("OPTIMIZE"):
            c.accept("NO_WRITE_TO_BINLOG", "LOCAL")
            c.expect("TABLE", "TABLES")
            return self._optimize(c, text, own_timeout)
        if c.at("UPDATE", "DELETE"):
            return self._dml(tokens, text)
        if c.at("SET"):
            return self._set(tokens, text)
        if c.at("UNLOCK TABLES", "BEGIN", "START", "COMMIT", "ROLLBACK", "USE", "SELECT", "WITH"):
            return _Read(self.dialect.statement(text, "none"))
        if c.at("INSERT", "REPLACE"):
            return _Read(self.dialect.statement(text, self.dialect.row_lock()))
        parse(tokens, self.sql)  # a statement sqlglot cannot parse at all is an error
        return _Read(self.dialect.statement(text, "unknown", note="not analysed"))

    def _editor(self, table: str) -> TableEditor:
        return TableEditor(self.schema, table, self.dialect, self.session, self.charsets, self.sql)

    def _alter(self, text: str, request: AlterRequest, own_timeout: bool) -> _Read:
        """The verdict on an ALTER TABLE (or CREATE/DROP INDEX) and its findings."""
        table = request.table
        changes = request.changes
        if not changes and request.algorithm is None and request.lock is None:
            raise Unreadable("ALTER TABLE names no change")
        known = [ch.cost for ch in changes if ch.cost is not None]
        unknown = [ch for ch in changes if ch.cost is None]
        verdict = decide(self.server, known or [_NOTHING], request.algorithm, request.lock)
        new = table in self.created
        findings: list[Finding] = []
        what = "; ".join(ch.what for ch in changes)
        if verdict.refused:
            findings.append(
                rules.ALGORITHM_REFUSED.finding(
                    f"{verdict.refused}: the statement fails (error 1845/1846) and changes "
                    f"nothing ({what})",
                    table=table,
                )
            )
        elif not new:
            findings += self._lock_findings(verdict.algorithm, verdict.lock, changes, table)
            findings += [
                rules.VERDICT_UNKNOWN.finding(
                    f"{ch.what}: the algorithm the server will use is unknown",
                    table=table,
                    column=ch.column,
                )
                for ch in unknown
            ]
        if not new:
            findings += [
                rule.finding(message, table=table, column=ch.column)
                for ch in changes
                if ch.breaks
                for rule, message in [ch.breaks]
            ]
        algorithm = self.server.algorithm_name(verdict.algorithm)
        note = f"ALGORITHM={algorithm}, LOCK={verdict.lock.name}: {what}"
        if verdict.refused:
            note = f"fails: {verdict.refused}"
        if new:
            statement = self.dialect.statement(text, "none", table=table, note=NEW_TABLE_NOTE)
        elif unknown:
            statement = self.dialect.statement(
                text, "unknown", table=table, online=False, note=f"unknown: {what}"
            )
        elif verdict.refused:
            # The server refuses it before it changes anything: a brief metadata lock at most.
            statement = self.dialect.statement(text, METADATA, table=table, note=note)
        else:
            rebuilt = verdict.algorithm >= Algorithm.INPLACE
            statement = self.dialect.statement(
                text,
                LOCK_NAMES[verdict.lock],
                table=table,
                rewrite=rebuilt,
                scan=rebuilt or any(c.scan for c in known),
                online=verdict.lock is Lock.NONE,
                note=note,
            )
        timed = self._timed(own_timeout or request.own_timeout)
        known_verdict = None
        if not (new or unknown or verdict.refused):
            known_verdict = OnlineDDL(algorithm, verdict.lock.name)
        return _Read(
            statement,
            findings,
            ddl=True,
            untimed_table=None if new or timed else table,
            online_ddl=known_verdict,
        )

    def _lock_findings(
        self, algorithm: Algorithm, lock: Lock, changes: list[Change], table: str
    ) -> list[Finding]:
        costly = [ch for ch in changes if ch.cost is not None and ch.cost.best >= algorithm]
        what = "; ".join(ch.what for ch in costly or changes)
        remedy = next((ch.remedy for ch in costly if ch.remedy), None)
        column = costly[0].column if len(costly) == 1 else None
        blocked = "reads and writes are" if lock is Lock.EXCLUSIVE else "writes are"
        name = self.server.algorithm_name(algorithm)
        if algorithm is Algorithm.COPY:
            rule, message = (
                rules.TABLE_COPY,
                f"ALGORITHM=COPY, LOCK={lock.name}: the table is copied and {blocked} blocked "
                "for its length",
            )
        elif lock is Lock.EXCLUSIVE:
            return [  # no remedy or column: it is the statement's LOCK= clause that asks for it
                rules.EXCLUSIVE_LOCK.finding(
                    f"ALGORITHM={name}, LOCK=EXCLUSIVE: reads and writes are blocked for the "
                    f"whole statement ({what})",
                    table=table,
                )
            ]
        elif lock is Lock.SHARED:
            rule, message = (
                rules.WRITES_BLOCKED,
                f"ALGORITHM={name}, LOCK=SHARED: writes are blocked until it is done",
            )
        elif algorithm is Algorithm.INPLACE:
            rule, message = (
                rules.TABLE_REBUILD,
                "ALGORITHM=INPLACE, LOCK=NONE: the table is rebuilt; reads and writes go on, "
                "but it runs as long as a copy and replicas apply it in one piece",
            )
        else:
            return []
        return [rule.finding(f"{message} ({what})", help=remedy, table=table, column=column)]

    def _create_index(self, c: Cursor, text: str, own_timeout: bool) -> _Read:
        """CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX name ON t (parts) [ALGORITHM= / LOCK=]: the
        same change as ALTER TABLE t ADD … INDEX."""
        c.accept("ONLINE")
        kind = c.accept("UNIQUE", "FULLTEXT", "SPATIAL") or "INDEX"
        c.expect("INDEX")
        c.accept("IF NOT EXISTS")
        name = c.name()
        if c.accept("USING"):
            c.name()
        c.expect("ON")
        editor = self._editor(c.qualified_name())
        key = KeyDefinition(kind, name, key_parts(c))
        request = AlterRequest(editor.name, changes=editor.add_key(key))
        self._index_options(c, request)
        return self._alter(text, request, own_timeout)

    def _drop_index(self, c: Cursor, text: str, own_timeout: bool) -> _Read:
        c.accept("IF EXISTS")
        name = c.name()
        c.expect("ON")
        editor = self._editor(c.qualified_name())
        request = AlterRequest(editor.name, changes=[editor.drop_index(name)])
        self._index_options(c, request)
        if self.server.mariadb and (request.algorithm is not None or request.lock is not None):
            raise Unreadable("MariaDB's DROP INDEX takes no ALGORITHM= or LOCK= clause")
        return self._alter(text, request, own_timeout)

    def _index_options(self, c: Cursor, request: AlterRequest) -> None:
        """What may follow CREATE INDEX … (parts) or DROP INDEX … ON t."""
        while not c.done():
            if c.accept("ALGORITHM"):
                request.algorithm = option_value(c, Algorithm, "ALGORITHM")
            elif c.accept("LOCK"):
                request.lock = option_value(c, Lock, "LOCK")
            elif c.accept("WAIT"):
                c.value()
                request.own_timeout = True
            elif c.accept("NOWAIT"):
                request.own_timeout = True
            elif c.accept("USING", "COMMENT", "KEY_BLOCK_SIZE", "WITH PARSER"):
                c.value()  # no cost of their own
            else:
                c.expect("VISIBLE", "INVISIBLE", "IGNORED", "NOT IGNORED")

    def _create_table(self, c: Cursor, text: str) -> _Read:
        exists = bool(c.accept("IF NOT EXISTS"))
        name = c.qualified_name()
        if not (exists and name in self.schema.tables):
            self._new_table(c, name)
            self.created.add(name)
        table = self.schema.tables[name]
        parents = [fk.ref_table for fk in table.foreign_keys.values()]
        untimed = next((p for p in parents if self._in_use(p)), None)
        if self.session.lock_wait_timeout:
            untimed = None
        lock = self.dialect.new_table_lock(table)
        statement = self.dialect.statement(text, lock, table=name, note="a new table")
        return _Read(statement, ddl=True, untimed_table=untimed)

    def _new_table(self, c: Cursor, name: str) -> None:
        """Put the table that CREATE TABLE makes into the model."""
        schema_name, bare = split_name(name)
        like = None
        if c.accept("LIKE"):
            like = c.qualified_name()
        elif c.at_punct(TokenType.L_PAREN) and _is_word(c.peek(1), "LIKE"):
            inner = Cursor(c.group(), self.sql)
            inner.expect("LIKE")
            like = inner.qualified_name()
        original = self.schema.tables.get(like) if like else None
        table = _copy_table(original, bare, schema_name) if original else Table(bare, schema_name)
        self.schema.add_table(table)
        editor = self._editor(name)
        if like is None and c.at_punct(TokenType.L_PAREN):
            for element in split_top(c.group()):
                part = Cursor(element, self.sql)
                if part.at(*KEY_HEADS):
                    editor.add_key(key_definition(part))
                else:
                    definition = column_definition(element, self.sql, self.dialect.normalize_type)
                    editor.add_column(definition)
        while not c.done():  # table options: only the default character set matters here
            c.accept("DEFAULT")
            if c.accept("CHARACTER SET", "CHARSET", "COLLATE"):
                self.charsets[name] = c.value().split("_")[0].lower()
            else:
                c.i += 1

    def _create_other(self, c: Cursor, text: str, own_timeout: bool) -> _Read:
        """CREATE TRIGGER waits for the table's metadata lock; views, routines and the rest
        touch no table's data."""
        while not c.done() and not c.at("TRIGGER"):
            c.i += 1
        if not c.accept("TRIGGER"):
            return _Read(self.dialect.statement(text, "none"), ddl=True)
        while not c.done() and not c.accept("ON"):
            c.i += 1
        return self._ddl(text, c.qualified_name(), own_timeout)

    def _ddl(self, text: str, table: str | None, own_timeout: bool) -> _Read:
        """DDL that changes only the catalog, under the table's metadata lock."""
        untimed = table if table and self._in_use(table) and not self._timed(own_timeout) else None
        new = table is not None and table in self.created
        lock = "none" if new else METADATA
        return _Read(
            self.dialect.statement(text, lock, table=table), ddl=True, untimed_table=untimed
        )

    def _drop_tables(self, c: Cursor, text: str, own_timeout: bool) -> _Read:
        c.accept("IF EXISTS")
        names = []
        for part in split_top(c.rest()):
            cursor = Cursor(part, self.sql)
            names.append(cursor.qualified_name())
            cursor.accept("RESTRICT", "CASCADE")
            if not cursor.done():
                raise Unreadable(f"unexpected {cursor.where()}")
        findings = [
            rules.DROP_TABLE.finding(f"drops table {name} and its rows", table=name)
            for name in names
            if name not in self.created
        ]
        for name in names:
            self.schema.tables.pop(name, None)
        read = self._ddl(text, names[0], own_timeout)
        read.findings = findings
        return read

    def _rename_tables(self, c: Cursor, text: str, own_timeout: bool) -> _Read:
        findings = []
        first = None
        for part in split_top(c.rest()):
            cursor = Cursor(part, self.sql)
            old = cursor.qualified_name()
            cursor.expect("TO")
            new = cursor.qualified_name()
            first = first or old
            change = self._editor(old).rename_table(new)
            if old in self.created:
                self.created.add(new)
            elif change.breaks:
                rule, message = change.breaks
                findings.append(rule.finding(message, table=old))
        read = self._ddl(text, first, own_timeout)
        read.findings = findings
        return read

    def _truncate(self, table: str, text: str, own_timeout: bool) -> _Read:
        read = self._ddl(text, table, own_timeout)
        if table not in self.created:
            read.findings = [
                rules.TRUNCATE_TABLE.finding(
                    f"TRUNCATE TABLE {table} empties it under an exclusive metadata lock, "
                    "blocking reads and writes while it runs",
                    table=table,
                )
            ]
        return read

    def _lock_tables(self, c: Cursor, text: str) -> _Read:
        """LOCK TABLES t [AS a] {READ [LOCAL] | [LOW_PRIORITY] WRITE}, …"""
        locked: list[tuple[str, bool]] = []
        for part in split_top(c.rest()):
            cursor = Cursor(part, self.sql)
            name = cursor.qualified_name()
            if cursor.accept("AS") or not cursor.at("READ", "WRITE", "LOW_PRIORITY"):
                cursor.name()
            write = not cursor.accept("READ")
            locked.append((name, write))
        write = any(w for _, w in locked)
        table = locked[0][0]
        blocked = "reads and writes" if write else "writes"
        findings = [
            rules.LOCK_TABLES.finding(
                f"LOCK TABLES {name} {'WRITE' if w else 'READ'} blocks {blocked} of every other "
                "session until UNLOCK TABLES",
                table=name,
            )
            for name, w in locked
            if name not in self.created
        ]
        lock = TABLE_WRITE if write else SHARED
        return _Read(self.dialect.statement(text, lock, table=table, online=False), findings)

    def _optimize(self, c: Cursor, text: str, own_timeout: bool) -> _Read:
        """OPTIMIZE TABLE rebuilds an InnoDB table in place (recreate + analyze)."""
        names = [Cursor(part, self.sql).qualified_name() for part in split_top(c.rest())]
        read = None
        for name in names:
            change = Change(
                f"rebuilds {name} (OPTIMIZE TABLE)", self.server.rebuild(), REBUILD_REMEDY
            )
            table_read = self._alter(text, AlterRequest(name, changes=[change]), own_timeout)
            if read is None:
                read = table_read
            else:
                read.findings += table_read.findings
        if read is None:
            raise Unreadable("OPTIMIZE TABLE names no table")
        return read

    def _dml(self, tokens: list[Token], text: str) -> _Read:
        """UPDATE / DELETE: one statement over the whole table holds every row lock it takes
        until it commits. Without a usable index InnoDB locks every row it scans."""
        trees = parse(tokens, self.sql)
        node = trees[0] if trees else None
        target = node.this if node is not None and isinstance(node.this, exp.Table) else None
        if node is None or target is None:
            target = node.find(exp.Table) if node is not None else None
        if node is None or target is None:
            raise Unreadable("expected a table to update or delete from")
        table = join_name(target.db, target.name)
        where, limit = node.args.get("where"), node.args.get("limit")
        model = self.schema.tables.get(table)
        reason = None
        if where is None and limit is None:
            reason = "every row, in one transaction"
        elif where is not None and model is not None:
            used = {column.name.casefold() for column in where.find_all(exp.Column)}
            if not used & _leading_columns(model):
                reason = (
                    "no index leads with a column of its WHERE, so it scans and locks every row"
                )
        verb = "UPDATE" if isinstance(node, exp.Update) else "DELETE"
        findings = []
        if reason and table not in self.created:
            findings.append(
                rules.WHOLE_TABLE_DML.finding(f"{verb} of {table}: {reason}", table=table)
            )
        statement = self.dialect.statement(
            text, self.dialect.row_lock(), table=table, scan=reason is not None
        )
        return _Read(statement, findings)

    def _set(self, tokens: list[Token], text: str) -> _Read:
        """Session settings later statements depend on: the metadata lock timeout, and
        foreign_key_checks (a foreign key is added in place only with it off)."""
        trees = parse(tokens, self.sql)
        node = trees[0] if trees else None
        for item in node.expressions if isinstance(node, exp.Set) else []:
            assignment = item.this
            if not isinstance(assignment, exp.EQ):
                continue
            target = assignment.this
            scope = str(item.args.get("kind") or target.args.get("kind") or "SESSION").upper()
            if scope not in ("SESSION", "LOCAL"):
                continue
            name, value = target.name.lower(), assignment.expression.name.upper()
            if name == "lock_wait_timeout":
                self.session.lock_wait_timeout = True
            elif name == "foreign_key_checks":
                self.session.foreign_key_checks = value not in ("0", "OFF", "FALSE")
        return _Read(self.dialect.statement(text, "none"))

    def _set_statement(self, c: Cursor, own_timeout: bool) -> _Read:
        """MariaDB's SET STATEMENT var = value, … FOR statement: the settings hold for that
        one statement."""
        if not self.server.mariadb:
            raise Unreadable("SET STATEMENT … FOR is MariaDB syntax")
        names = []
        while not c.done() and not c.accept("FOR"):
            names.append(c.name().lower())
            c.value()
            c.accept(",")
            if c.at_punct(TokenType.COMMA):
                c.i += 1
        if c.done():
            raise Unreadable("SET STATEMENT needs FOR and a statement")
        timed = own_timeout or "lock_wait_timeout" in names
        return self.statement(c.rest(), own_timeout=timed)

    def _in_use(self, table: str) -> bool:
        """A table that existed before the text: the apps may be using it."""
        return table not in self.created

    def _timed(self, own_timeout: bool) -> bool:
        return own_timeout or self.session.lock_wait_timeout


_NOTHING = instant()
"""The cost of a statement that only names ALGORITHM= or LOCK=."""


def _is_word(token: Token | None, word: str) -> bool:
    return token is not None and words(token) == [word]


def _copy_table(original: Table, name: str, schema: str | None) -> Table:
    """CREATE TABLE … LIKE: the columns and indexes, not the foreign keys or triggers."""
    table = copy.deepcopy(original)
    table.name, table.schema = name, schema
    table.foreign_keys, table.triggers = {}, {}
    return table


def _leading_columns(table: Table) -> set[str]:
    """The first column of each key and index: the ones a WHERE can find rows by."""
    keys = [i.columns for i in table.indexes.values()] + [u.columns for u in table.uniques.values()]
    if table.primary_key:
        keys.append(table.primary_key.columns)
    return {key[0].casefold() for key in keys if key}
