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
than copies, under the runner's lock timeout with retries. The shadow-table copy is not built
yet: such a change is refused, with nothing changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from zdmigrate.analyze import analyze
from zdmigrate.errors import BadInput, InvalidOperation
from zdmigrate.reflect import reflect_schema
from zdmigrate.schema import split_name
from zdmigrate.steps import Phase, Step

if TYPE_CHECKING:
    import sqlalchemy as sa

    from zdmigrate.dialects import Dialect
    from zdmigrate.findings import Finding
    from zdmigrate.steps import Statement

Strategy = Literal["instant", "inplace", "shadow"]
STRATEGIES = ("auto", "instant", "inplace", "shadow")

_CLAUSE = re.compile(r"\b(ALGORITHM|LOCK)\s*=", re.IGNORECASE)
_ONLINE: dict[str, Strategy] = {"INSTANT": "instant", "NOCOPY": "inplace", "INPLACE": "inplace"}
"""MariaDB's NOCOPY rebuilds nothing but may still read the whole table (an index build)."""


@dataclass(frozen=True)
class AlterPlan:
    table: str
    strategy: Strategy
    why: str
    """The analyser's verdict: the algorithm and lock the server would use, and for what."""
    statement: Statement
    """What runs, with the analyser's lock facts: the ALTER with its algorithm named (for a
    shadow copy: the change itself)."""
    findings: tuple[Finding, ...] = ()

    @property
    def sql(self) -> str:
        return self.statement.sql

    def step(self) -> Step:
        return Step(Phase.EXPAND, "alter", self.statement)


def plan_alter(
    connection: sa.Connection, dialect: Dialect, table: str, spec: str, strategy: str = "auto"
) -> AlterPlan:
    """The strategy for ``ALTER TABLE table spec`` on this server, ``strategy`` forcing one.
    Raises BadInput, naming the table, for what cannot run: another server, an unknown table,
    a change the analyser cannot read, a forced strategy the server cannot honour."""
    if dialect.name == "postgresql":
        raise BadInput("zdmigrate alter is for MySQL and MariaDB; on PostgreSQL write a migration")
    if strategy not in STRATEGIES:
        raise BadInput(f"unknown strategy {strategy!r}: expected {', '.join(STRATEGIES)}")
    if _CLAUSE.search(spec):
        raise BadInput(
            f"{table}: leave ALGORITHM= and LOCK= out: zdmigrate names the algorithm the "
            "server will use (--strategy forces one)"
        )
    schema_name, bare = split_name(table)
    if schema_name == connection.dialect.default_schema_name:
        table, schema_name = bare, None  # the connection's own database keys tables bare
    schema = reflect_schema(connection, dialect, [schema_name] if schema_name else None)
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
        return AlterPlan(table, "shadow", why, statement, findings)
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
        return AlterPlan(table, "shadow", why, statement, findings)
    if chosen == "instant":  # MySQL's INSTANT takes no LOCK= clause
        named = "ALGORITHM=INSTANT"
    elif strategy == "auto":  # the server's own verdict: NOCOPY where it can, not INPLACE
        named = f"ALGORITHM={verdict.algorithm}, LOCK=NONE"
    else:
        named = "ALGORITHM=INPLACE, LOCK=NONE"
    # First, so that nothing in the change (a trailing comment) can hide it.
    sql = f"ALTER TABLE {dialect.table(table)} {named}, {spec.strip().rstrip(';')}"
    return AlterPlan(table, chosen, why, replace(statement, sql=sql), findings)
