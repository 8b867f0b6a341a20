from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Integer, String

from tests.lifecycle import Lifecycle, compile_ops, fails, run_lifecycle
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import ColumnNotFound, InvalidOperation
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.drop_default import DropDefault
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

SETUP = [
    ops.CreateTable(
        "dd_items",
        Column("id", Integer, primary_key=True),
        Column("name", String(40), nullable=False),
        Column("status", String(20), nullable=False, server_default="new"),
        Column("note", String(40), server_default="none"),
    )
]
OPERATIONS = [DropDefault("dd_items", "status"), DropDefault("dd_items", "note")]

# The old app leaves status and note to their defaults; the new app writes both.
old = sa.Table(
    "dd_items",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(40)),
)
new = sa.Table(
    "dd_items",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(40)),
    Column("status", String(20)),
    Column("note", String(40)),
)


def row(connection: sa.Connection, name: str) -> tuple[object, ...]:
    query = sa.select(new.c.status, new.c.note).where(new.c.name == name)
    return tuple(connection.execute(query).one())


def check(connection: sa.Connection, phase: str) -> None:
    connection.execute(old.insert().values(name=f"old-{phase}"))
    connection.execute(new.insert().values(name=f"new-{phase}", status="paid", note="hi"))
    # The defaults the old app relies on are still there until contract.
    assert row(connection, f"old-{phase}") == ("new", "none")
    assert row(connection, f"new-{phase}") == ("paid", "hi")
    names = connection.execute(sa.select(old.c.name).order_by(old.c.id)).scalars().all()
    assert names[-2:] == [f"old-{phase}", f"new-{phase}"]


def after(connection: sa.Connection) -> None:
    connection.execute(new.insert().values(name="after", status="paid", note="hi"))
    assert row(connection, "after") == ("paid", "hi")
    connection.execute(new.insert().values(name="no-note", status="paid"))
    assert row(connection, "no-note") == ("paid", None)
    # status is NOT NULL and has no default now: an insert that leaves it out is refused.
    fails(connection, old.insert().values(name="late"))


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["dd_items"],
            setup=SETUP,
            operations=OPERATIONS,
            check=check,
            after=after,
        ),
    )


@pytest.mark.parametrize(
    ("dialect", "status", "note"),
    [
        (
            "postgresql",
            'ALTER TABLE "dd_items" ALTER COLUMN "status" DROP DEFAULT',
            'ALTER TABLE "dd_items" ALTER COLUMN "note" DROP DEFAULT',
        ),
        (
            "mariadb",
            "ALTER TABLE `dd_items` ALTER COLUMN `status` DROP DEFAULT, ALGORITHM=INSTANT",
            "ALTER TABLE `dd_items` ALTER COLUMN `note` DROP DEFAULT, ALGORITHM=INSTANT",
        ),
    ],
)
def test_sql(dialect: str, status: str, note: str) -> None:
    compiled = compile_ops(dialect, SETUP, OPERATIONS)
    assert compiled.steps[Phase.EXPAND] == compiled.steps[Phase.BACKFILL] == []
    assert compiled.steps[Phase.ROLLBACK] == []
    drop_status, drop_note = compiled.steps[Phase.CONTRACT]
    assert (drop_status.sql, drop_note.sql) == (status, note)
    assert not drop_status.statement.scan and not drop_status.statement.rewrite
    # The NOT NULL column gets no value any more unless the app writes it: the step says so.
    assert "the new app must" in (drop_status.statement.note or "")
    assert "the new app must" not in (drop_note.statement.note or "")
    assert compiled.after.table("dd_items").column("status").default is None


@pytest.mark.parametrize(
    ("operation", "error"),
    [
        (DropDefault("dd_items", "nope"), ColumnNotFound),
        (DropDefault("dd_items", "name"), InvalidOperation),
    ],
)
def test_bad_input(operation: DropDefault, error: type[Exception]) -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    with pytest.raises(error, match=f"'{operation.column}'.*'dd_items'"):
        compile_migration(Migration("m", [operation]), base, d)
