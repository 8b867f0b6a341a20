from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Computed, Integer, String

from tests.lifecycle import Lifecycle, compile_ops, run_lifecycle, sql_by_phase
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import ColumnNotFound, InvalidOperation
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.set_default import SetDefault
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

SETUP = [
    ops.CreateTable(
        "sd_items",
        Column("id", Integer, primary_key=True),
        Column("name", String(40), nullable=False),
        Column("status", String(20), nullable=False, server_default="new"),
        Column("qty", Integer),
        Column("path", String(40)),
        Column("double_qty", Integer, Computed("qty * 2")),
    )
]
OPERATIONS = [
    # A str is a literal value, quoted (and escaped) as one; text() is SQL.
    SetDefault("sd_items", "status", "it's pending"),
    SetDefault("sd_items", "qty", sa.text("1 + 1")),
    SetDefault("sd_items", "path", "C:\\temp"),
]

# The old app writes every column; the new app leaves the defaulted ones to the server.
items = sa.Table(
    "sd_items",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(40)),
    Column("status", String(20)),
    Column("qty", Integer),
    Column("path", String(40)),
)


def row(connection: sa.Connection, name: str) -> tuple[object, ...]:
    query = sa.select(items.c.status, items.c.qty, items.c.path).where(items.c.name == name)
    return tuple(connection.execute(query).one())


def check(connection: sa.Connection, phase: str) -> None:
    connection.execute(
        items.insert().values(name=f"old-{phase}", status="shipped", qty=5, path="/old")
    )
    connection.execute(items.insert().values(name=f"new-{phase}"))
    assert row(connection, f"new-{phase}") == ("it's pending", 2, "C:\\temp")
    assert row(connection, f"old-{phase}") == ("shipped", 5, "/old")
    # Rows from before the migration keep what they had: a default changes no existing row.
    assert row(connection, "seed") == ("new", None, None)


def after(connection: sa.Connection) -> None:
    connection.execute(items.insert().values(name="after"))
    assert row(connection, "after") == ("it's pending", 2, "C:\\temp")
    # An insert relying on the old default gets the new one now.
    connection.execute(items.insert().values(name="old-style", qty=1))
    assert row(connection, "old-style")[0] == "it's pending"


def seed(connection: sa.Connection) -> None:
    connection.execute(items.insert().values(name="seed"))


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    # Rollback puts "new" back on status and drops the defaults qty and path did not have:
    # the harness compares the reflected schema with the one before expand.
    engine, dialect = db
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["sd_items"],
            setup=SETUP,
            operations=OPERATIONS,
            check=check,
            after=after,
            seed=seed,
        ),
    )


def _compiled(dialect: str) -> dict[Phase, list[str]]:
    compiled = compile_ops(dialect, SETUP, OPERATIONS)
    assert compiled.after.table("sd_items").column("status").default == "'it''s pending'"
    assert all(
        not s.statement.scan and not s.statement.rewrite for s in compiled.steps[Phase.EXPAND]
    )
    return sql_by_phase(compiled)


def test_postgresql_sql() -> None:
    assert _compiled("postgresql") == {
        Phase.EXPAND: [
            """ALTER TABLE "sd_items" ALTER COLUMN "status" SET DEFAULT 'it''s pending'""",
            'ALTER TABLE "sd_items" ALTER COLUMN "qty" SET DEFAULT 1 + 1',
            """ALTER TABLE "sd_items" ALTER COLUMN "path" SET DEFAULT 'C:\\temp'""",
        ],
        Phase.BACKFILL: [],
        Phase.CONTRACT: [],
        Phase.ROLLBACK: [
            'ALTER TABLE "sd_items" ALTER COLUMN "path" DROP DEFAULT',
            'ALTER TABLE "sd_items" ALTER COLUMN "qty" DROP DEFAULT',
            """ALTER TABLE "sd_items" ALTER COLUMN "status" SET DEFAULT 'new'""",
        ],
    }


def test_mysql_sql() -> None:
    # An expression default goes in parentheses; a backslash in a literal is escaped.
    assert _compiled("mariadb")[Phase.EXPAND] == [
        "ALTER TABLE `sd_items` ALTER COLUMN `status` SET DEFAULT 'it''s pending', "
        "ALGORITHM=INSTANT",
        "ALTER TABLE `sd_items` ALTER COLUMN `qty` SET DEFAULT (1 + 1), ALGORITHM=INSTANT",
        "ALTER TABLE `sd_items` ALTER COLUMN `path` SET DEFAULT 'C:\\\\temp', ALGORITHM=INSTANT",
    ]


@pytest.mark.parametrize(
    ("operation", "error", "message"),
    [
        (SetDefault("sd_items", "nope", "x"), ColumnNotFound, "nope"),
        (SetDefault("sd_items", "id", sa.text("42")), InvalidOperation, "identity"),
        (SetDefault("sd_items", "double_qty", sa.text("0")), InvalidOperation, "generated"),
    ],
)
def test_bad_input(operation: SetDefault, error: type[Exception], message: str) -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    with pytest.raises(error, match=message) as raised:
        compile_migration(Migration("m", [operation]), base, d)
    assert raised.value.column == operation.column  # type: ignore[attr-defined]
