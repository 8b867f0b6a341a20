from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Integer, String
from sqlalchemy.dialects.postgresql import UUID

from tests.lifecycle import Lifecycle, compile_ops, run_lifecycle
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import ColumnExists, InvalidOperation, TableNotFound
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.add_column import AddColumn
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

SETUP = [
    ops.CreateTable(
        "ac_users",
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False),
    )
]
OPERATIONS = [
    AddColumn("ac_users", Column("status", String(20), nullable=False, server_default="active")),
    AddColumn("ac_users", Column("nickname", String(30))),
]

old = sa.Table(
    "ac_users",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
)
new = sa.Table(
    "ac_users",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
    Column("status", String(20)),
    Column("nickname", String(30)),
)


def row(connection: sa.Connection, name: str) -> tuple[object, ...]:
    query = sa.select(new.c.status, new.c.nickname).where(new.c.name == name)
    return tuple(connection.execute(query).one())


def seed(connection: sa.Connection) -> None:
    connection.execute(old.insert(), [{"name": f"seed{i}"} for i in range(5)])


def check(connection: sa.Connection, phase: str) -> None:
    # The old app knows nothing of the new columns: its inserts get the server default.
    connection.execute(old.insert().values(name=f"old-{phase}"))
    connection.execute(new.insert().values(name=f"new-{phase}", status="vip", nickname="nn"))
    assert row(connection, f"old-{phase}") == ("active", None)
    assert row(connection, f"new-{phase}") == ("vip", "nn")
    # Rows from before the migration read the default too (stored in the catalog, no rewrite).
    assert row(connection, "seed3") == ("active", None)
    names = connection.execute(sa.select(old.c.name).where(old.c.name.like(f"%-{phase}")))
    assert sorted(names.scalars()) == [f"new-{phase}", f"old-{phase}"]
    connection.execute(old.update().where(old.c.name == f"new-{phase}").values(name=f"n-{phase}"))
    assert row(connection, f"n-{phase}") == ("vip", "nn")


def after(connection: sa.Connection) -> None:
    connection.execute(new.insert().values(name="after", status="banned"))
    assert row(connection, "after") == ("banned", None)
    # Nothing was removed: the old app's inserts still work and get the default.
    connection.execute(old.insert().values(name="after-old"))
    assert row(connection, "after-old") == ("active", None)


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["ac_users"],
            setup=SETUP,
            operations=OPERATIONS,
            check=check,
            after=after,
            seed=seed,
        ),
    )


def _compiled(dialect: str, *operations: ops.Operation) -> dict[Phase, list[tuple[str, bool]]]:
    """Each phase's statements as (sql, rewrite)."""
    compiled = compile_ops(dialect, SETUP, operations)
    return {p: [(s.sql, s.statement.rewrite) for s in steps] for p, steps in compiled.steps.items()}


def test_postgresql_sql() -> None:
    assert _compiled("postgresql", *OPERATIONS) == {
        Phase.EXPAND: [
            (
                'ALTER TABLE "ac_users" ADD COLUMN "status" VARCHAR(20) '
                "DEFAULT 'active' NOT NULL",
                False,
            ),
            ('ALTER TABLE "ac_users" ADD COLUMN "nickname" VARCHAR(30)', False),
        ],
        Phase.BACKFILL: [],
        Phase.CONTRACT: [],
        Phase.ROLLBACK: [
            ('ALTER TABLE "ac_users" DROP COLUMN "nickname"', False),
            ('ALTER TABLE "ac_users" DROP COLUMN "status"', False),
        ],
    }


def test_postgresql_volatile_default_rewrites() -> None:
    # A volatile default is evaluated per existing row: the whole table is rewritten.
    token = AddColumn(
        "ac_users", Column("token", UUID, server_default=sa.text("gen_random_uuid()"))
    )
    [step] = compile_ops("postgresql", SETUP, [token]).steps[Phase.EXPAND]
    assert step.sql == 'ALTER TABLE "ac_users" ADD COLUMN "token" UUID DEFAULT gen_random_uuid()'
    assert step.statement.rewrite and not step.statement.online
    assert "rewrites" in (step.statement.note or "")
    # A constant default is kept in the catalog instead.
    stable = AddColumn("ac_users", Column("code", String(5), server_default="x"))
    [step] = compile_ops("postgresql", SETUP, [stable]).steps[Phase.EXPAND]
    assert not step.statement.rewrite and step.statement.online


def test_mysql_sql() -> None:
    assert _compiled("mariadb", *OPERATIONS)[Phase.EXPAND] == [
        (
            "ALTER TABLE `ac_users` ADD COLUMN `status` VARCHAR(20) DEFAULT 'active' NOT NULL, "
            "ALGORITHM=INSTANT",
            False,
        ),
        ("ALTER TABLE `ac_users` ADD COLUMN `nickname` VARCHAR(30), ALGORITHM=INSTANT", False),
    ]


def test_not_null_without_default_refused() -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    operation = AddColumn("ac_users", Column("tier", String(10), nullable=False))
    with pytest.raises(InvalidOperation, match="server_default") as raised:
        compile_migration(Migration("m", [operation]), base, d)
    assert (raised.value.table, raised.value.column) == ("ac_users", "tier")


@pytest.mark.parametrize(
    ("operation", "error"),
    [
        (AddColumn("ac_users", Column("name", String(10))), ColumnExists),
        (AddColumn("ac_nope", Column("x", String(10))), TableNotFound),
        (AddColumn("ac_users", Column("email", String(50), unique=True)), InvalidOperation),
        (AddColumn("ac_users", Column("age", Integer, index=True)), InvalidOperation),
        (
            AddColumn("ac_users", Column("age", Integer, sa.CheckConstraint("age > 0"))),
            InvalidOperation,
        ),
    ],
)
def test_bad_input(operation: AddColumn, error: type[Exception]) -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    with pytest.raises(error):
        compile_migration(Migration("m", [operation]), base, d)
