"""``zdmigrate alter``: one ad-hoc change of one MySQL/MariaDB table, as gh-ost and
pt-online-schema-change users make them, with the strategy the server allows.

The change is read by the MySQL analyser against the live table (:mod:`zdmigrate.analyze`),
which knows, per server and version, the algorithm and lock the server will use:

- **instant**: catalog only (``ALGORITHM=INSTANT``);
- **inplace**: ``ALGORITHM=INPLACE`` or MariaDB's ``NOCOPY``, with ``LOCK=NONE``: reads and
  writes go on while it runs, though it may read or rebuild the whole table, and a replica
  applies it in one piece;
- **shadow**: anything else (a copy, or a lock that blocks writes): a shadow-table copy.

Instant and in-place changes run with the algorithm named, so that the server refuses rather
than copies, under the runner's lock timeout with retries. A shadow-table copy is planned here
(:func:`shadow_copy`: what it copies, and what it refuses) and run by
:mod:`zdmigrate.run.shadow`.
"""

from __future__ import annotations

import hashlib
import re
from copy import deepcopy
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from zdmigrate.analyze import analyze
from zdmigrate.dialects.mysql_shadow import shadow_name
from zdmigrate.errors import BadInput, InvalidOperation
from zdmigrate.reflect import reflect_schema
from zdmigrate.schema import Trigger, split_name
from zdmigrate.steps import Phase, ShadowCopy, Step

if TYPE_CHECKING:
    import sqlalchemy as sa

    from zdmigrate.analyze import AnalyzedStatement
    from zdmigrate.dialects import Dialect
    from zdmigrate.findings import Finding
    from zdmigrate.migration import Migration
    from zdmigrate.schema import Schema, Table
    from zdmigrate.steps import Statement

Strategy = Literal["instant", "inplace", "shadow"]
STRATEGIES = ("auto", "instant", "inplace", "shadow")

_CLAUSE = re.compile(r"\b(ALGORITHM|LOCK)\s*=", re.IGNORECASE)
_RENAMES = re.compile(
    r"\bRENAME\s+(?!INDEX\b|KEY\b)|\bCHANGE\s+(?:COLUMN\s+)?(\S+)\s+(\S+)", re.IGNORECASE
)
"""A rename in the change: of a column (the copy would leave it empty) or of the table."""
COPY_FINDING = "ZD401"
"""The analyser's finding for a change the server makes by copying the table under a lock."""
_ONLINE: dict[str, Strategy] = {"INSTANT": "instant", "NOCOPY": "inplace", "INPLACE": "inplace"}
"""MariaDB's NOCOPY rebuilds nothing but may still read the whole table (an index build)."""


EVENTS = ("ins", "upd", "del")
"""The suffixes of a copy's insert, update and delete triggers."""


@dataclass(frozen=True)
class AlterPlan:
    table: str
    strategy: Strategy
    why: str
    """The analyser's verdict: the algorithm and lock the server would use, and for what."""
    statement: Statement
    """What runs, with the analyser's lock facts: the ALTER with its algorithm named (for a
    shadow copy: the change itself)."""
    before: Schema | None = None
    """The schema model the change is made to."""
    after: Schema | None = None
    """The schema model once the change is made."""
    copy: ShadowCopy | None = None
    """For a shadow-table copy: what it copies (see :func:`shadow_copy`)."""
    findings: tuple[Finding, ...] = ()

    @property
    def sql(self) -> str:
        return self.statement.sql

    def step(self) -> Step:
        return Step(Phase.EXPAND, "alter", self.statement)


def alter_migration(
    table: str, spec: str, strategy: str = "auto", *, keep_old: bool = True
) -> Migration:
    """The one-operation migration a shadow-table copy of ``zdmigrate alter`` runs as: its id
    names the table and a hash of the change, so that the same alter run again resumes it
    (whether it keeps the original is no part of the change)."""
    from zdmigrate import ops
    from zdmigrate.migration import Migration

    text = f"{table}\n{spec.strip()}\n{strategy}"
    digest = hashlib.sha1(text.encode()).hexdigest()
    return Migration(
        id=f"alter_{split_name(table)[1][:40]}_{digest[:10]}",
        operations=[ops.AlterTable(table, spec, strategy, keep_old=keep_old)],
        description=f"zdmigrate alter {table} {spec.strip()}",
        checksum=digest,
    )


def plan_alter(
    connection: sa.Connection,
    dialect: Dialect,
    table: str,
    spec: str,
    strategy: str = "auto",
    *,
    swapped: bool = False,
) -> AlterPlan:
    """The strategy for ``ALTER TABLE table spec`` on this server, ``strategy`` forcing one.
    Raises BadInput, naming the table, for what cannot run: another server, an unknown table,
    a change the analyser cannot read, a forced strategy the server cannot honour.

    ``swapped``: a copy of this change may have been swapped in already, so that the table as
    it was is the one kept under the copy's ``old`` name, where that exists."""
    if dialect.shadow_sql() is None:
        raise BadInput("zdmigrate alter is for MySQL and MariaDB; on PostgreSQL write a migration")
    schema_name, bare = split_name(table)
    if schema_name == connection.dialect.default_schema_name:
        table, schema_name = bare, None  # the connection's own database keys tables bare
    schema = reflect_schema(connection, dialect, [schema_name] if schema_name else None)
    old = shadow_name(table, "zdm_old")
    if swapped and old in schema.tables and table in schema.tables:
        kept = deepcopy(schema.tables[old])
        kept.name = split_name(table)[1]
        schema.tables[table] = kept
    return decide_alter(schema, dialect, table, spec, strategy)


def decide_alter(
    schema: Schema, dialect: Dialect, table: str, spec: str, strategy: str = "auto"
) -> AlterPlan:
    """The strategy for ``ALTER TABLE table spec`` against the model ``schema`` of the server,
    ``strategy`` forcing one; BadInput, naming the table, for what cannot run."""
    if dialect.shadow_sql() is None:
        raise BadInput("ALTER TABLE with a strategy is for MySQL and MariaDB")
    if strategy not in STRATEGIES:
        raise BadInput(f"unknown strategy {strategy!r}: expected {', '.join(STRATEGIES)}")
    if _CLAUSE.search(spec):
        raise BadInput(
            f"{table}: leave ALGORITHM= and LOCK= out: zdmigrate names the algorithm the "
            "server will use (--strategy forces one)"
        )
    if table not in schema.tables:
        raise BadInput(f"no table {table!r} in this database")
    text = f"ALTER TABLE {dialect.table(table)} {spec.strip().rstrip(';')}"
    try:
        analysis = analyze(text, dialect, schema)
    except InvalidOperation as exc:
        raise BadInput(f"{table}: {exc}") from None
    if len(analysis.statements) != 1:
        raise BadInput(f"{table}: give one ALTER TABLE specification, not several statements")
    read = analysis.statements[0]
    statement, findings, verdict = read.statement, read.findings, read.online_ddl
    # The change names no ALGORITHM= or LOCK= (refused above): the server refuses none.
    why = statement.note or ""
    if verdict is None:
        if strategy in ("auto", "instant", "inplace"):
            raise BadInput(
                f"{table}: zdmigrate cannot tell how the server would run it ({why}); "
                "give --strategy shadow to copy the table"
            )
        return _shadow_plan(schema, analysis.schema, dialect, table, spec, why, read)
    online = _ONLINE.get(verdict.algorithm) if verdict.lock == "NONE" else None
    chosen: Strategy
    if strategy == "auto":
        chosen = online or "shadow"
    elif strategy == "shadow":
        chosen = "shadow"
    elif online is None or (strategy == "instant" and online != "instant"):
        raise BadInput(f"{table}: the server cannot do it {strategy}: {why}")
    else:
        chosen = "inplace" if strategy == "inplace" else "instant"
    if chosen == "shadow":
        return _shadow_plan(schema, analysis.schema, dialect, table, spec, why, read)
    if chosen == "instant":  # MySQL's INSTANT takes no LOCK= clause
        named = "ALGORITHM=INSTANT"
    elif strategy == "auto":  # the server's own verdict: NOCOPY where it can, not INPLACE
        named = f"ALGORITHM={verdict.algorithm}, LOCK=NONE"
    else:
        named = "ALGORITHM=INPLACE, LOCK=NONE"
    # First, so that nothing in the change (a trailing comment) can hide it.
    sql = f"ALTER TABLE {dialect.table(table)} {named}, {spec.strip().rstrip(';')}"
    planned = replace(statement, sql=sql)
    return AlterPlan(table, chosen, why, planned, schema, analysis.schema, None, findings)


def _shadow_plan(
    before: Schema,
    after: Schema,
    dialect: Dialect,
    table: str,
    spec: str,
    why: str,
    read: AnalyzedStatement,
) -> AlterPlan:
    copy = shadow_copy(before, after, table, spec)
    sql = dialect.shadow_sql()
    assert sql is not None  # decide_alter refused the server otherwise
    statement = sql.planned(copy)
    # What the server's own copy would cost the apps is what the shadow copy spares them.
    findings = tuple(f for f in read.findings if f.code != COPY_FINDING)
    return AlterPlan(table, "shadow", why, statement, before, after, copy, findings)


def reverse_trigger_names(table: str) -> tuple[str, str, str]:
    """The reverse triggers a copy of ``table`` leaves on it from the swap to contract."""
    insert, update, delete = (split_name(shadow_name(table, f"zdm_r{e}"))[1] for e in EVENTS)
    return insert, update, delete


def model_reverse_triggers(schema: Schema, table: str, phase: Phase) -> None:
    """The reverse triggers of a copy of ``table`` in the schema model: made before the swap,
    at the end of backfill; dropped by contract."""
    triggers = schema.table(table).triggers
    if phase is Phase.BACKFILL:
        triggers.update({name: Trigger(name) for name in reverse_trigger_names(table)})
    elif phase is Phase.CONTRACT:
        for name in reverse_trigger_names(table):
            triggers.pop(name, None)


def shadow_copy(before: Schema, after: Schema, table: str, spec: str) -> ShadowCopy:
    """The copy of ``table`` that ``spec`` turns ``before`` into ``after``; BadInput, naming
    the table, for a table or change the copy cannot take without losing writes or rows."""
    old, new = before.table(table), after.table(table)
    triggers = [split_name(shadow_name(table, f"zdm_{e}"))[1] for e in EVENTS]
    reverse = reverse_trigger_names(table)
    # Ours are an interrupted copy's, or the reverse ones of a copy not yet contracted.
    others = sorted(set(old.triggers) - set(triggers) - set(reverse))
    refusal = None
    key = old.key_columns()
    if not key:
        refusal = "it has no primary key or unique NOT NULL key to copy it by"
    elif old.foreign_keys or before.foreign_keys_to(table):
        refusal = (
            "it has foreign keys, or others refer to it: a copy would leave them pointing at "
            "the old table (drop them, change the table, then add them back)"
        )
    elif others:
        refusal = f"it has triggers ({', '.join(others)}) the copy would lose"
    elif new.key_columns() != key or any(new.columns[k].type != old.columns[k].type for k in key):
        refusal = f"the change alters its key ({', '.join(key)}), by which the copy goes"
    elif any(not _same_names(match) for match in _RENAMES.finditer(spec)):
        refusal = "the change renames a column or the table, which the copy would leave empty"
    elif empty := [
        name for name, c in new.columns.items() if name not in old.columns and not c.server_fills
    ]:
        refusal = f"new column {empty[0]!r} is NOT NULL with no default: give it a DEFAULT"
    if refusal:
        raise BadInput(f"{table}: cannot copy it: {refusal}")
    assert key is not None
    return ShadowCopy(
        table=table,
        spec=spec.strip().rstrip(";"),
        key=tuple(key),
        key_index=_key_index(old, key),
        shadow=shadow_name(table, "zdm_new"),
        old=shadow_name(table, "zdm_old"),
        triggers=(triggers[0], triggers[1], triggers[2]),
        reverse=reverse,
        new_unique=bool(_unique_keys(new) - _unique_keys(old)),
    )


def _unique_keys(table: Table) -> set[tuple[str, ...]]:
    return {tuple(u.columns) for u in table.uniques.values()}


def _key_index(table: Table, key: list[str]) -> str:
    if table.primary_key is not None:
        return "PRIMARY"
    return next(name for name, u in table.uniques.items() if list(u.columns) == key)


def _same_names(match: re.Match[str]) -> bool:
    """A CHANGE that keeps the column's name (``CHANGE a a BIGINT``) renames nothing."""
    old, new = match.group(1), match.group(2)
    return old is not None and old.strip("`").lower() == new.strip("`").lower()
