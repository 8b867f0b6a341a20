from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Integer, String

from tests.lifecycle import Lifecycle, compile_ops, fails, run_lifecycle, sql_by_phase
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import ColumnExists, ColumnNotFound, InvalidOperation
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.base import Operation
from zdmigrate.ops.transform_column import TransformColumn
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

SETUP = [
    ops.CreateTable(
        "tc_people",
        Column("id", Integer, primary_key=True),
        Column("full_name", String(100), nullable=False),
        Column("email", String(100)),
        Column("nick", String(20), server_default="none"),
    )
]

old = sa.Table(
    "tc_people",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("full_name", String(100)),
    Column("email", String(100)),
)
new = sa.Table(
    "tc_people",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("first_name", String(50)),
    Column("last_name", String(50)),
    Column("email", String(100)),
)

# The expressions are the user's SQL, one spelling per server.
UP = {
    "postgresql": {
        "first_name": "split_part(full_name, ' ', 1)",
        "last_name": "NULLIF(substr(full_name, length(split_part(full_name, ' ', 1)) + 2), '')",
    },
    "mysql": {
        "first_name": "SUBSTRING_INDEX(full_name, ' ', 1)",
        "last_name": (
            "NULLIF(SUBSTRING(full_name, LENGTH(SUBSTRING_INDEX(full_name, ' ', 1)) + 2), '')"
        ),
    },
}
DOWN = {"full_name": "CONCAT_WS(' ', first_name, last_name)"}


def split(server: str) -> TransformColumn:
    return TransformColumn(
        "tc_people",
        add=[
            Column("first_name", String(50), nullable=False),
            Column("last_name", String(50), server_default=""),
        ],
        up=UP[server],
        down=DOWN,
        drop=["full_name", "nick"],
    )


def names(connection: sa.Connection, email: str) -> tuple[object, object]:
    row = connection.execute(
        sa.select(new.c.first_name, new.c.last_name).where(new.c.email == email)
    ).one()
    return row[0], row[1]


def full_name(connection: sa.Connection, email: str) -> object:
    return connection.execute(sa.select(old.c.full_name).where(old.c.email == email)).scalar_one()


def seed(connection: sa.Connection) -> None:
    rows = [{"full_name": f"Ada Lovelace{i}", "email": f"s{i}@x"} for i in range(20)]
    connection.execute(old.insert(), [*rows, {"full_name": "Cher", "email": "cher@x"}])


def check(connection: sa.Connection, phase: str) -> None:
    # Each app sees the other's inserts, split or merged.
    connection.execute(old.insert().values(full_name=f"Old {phase}", email=f"old-{phase}@x"))
    connection.execute(
        new.insert().values(first_name="New", last_name=f"{phase}x", email=f"new-{phase}@x")
    )
    assert names(connection, f"old-{phase}@x") == ("Old", phase)
    assert full_name(connection, f"new-{phase}@x") == f"New {phase}x"
    # And each other's updates.
    connection.execute(
        old.update().where(old.c.email == f"new-{phase}@x").values(full_name="Grace Hopper")
    )
    assert names(connection, f"new-{phase}@x") == ("Grace", "Hopper")
    connection.execute(
        new.update().where(new.c.email == f"old-{phase}@x").values(last_name="Changed")
    )
    assert full_name(connection, f"old-{phase}@x") == "Old Changed"
    # The old app may update other columns of rows the backfill has not reached yet.
    connection.execute(old.update().where(old.c.email == "s5@x").values(email="s5@x"))
    if phase != "expand":
        assert names(connection, "s3@x") == ("Ada", "Lovelace3")
        assert names(connection, "cher@x") == ("Cher", None)
        unfilled = sa.select(sa.func.count()).where(new.c.first_name.is_(None))
        assert connection.execute(unfilled).scalar_one() == 0


def after_rollback(connection: sa.Connection, undone: str) -> None:
    # The new app's rows, written as first and last names, are whole names for the old app.
    assert full_name(connection, f"new-{undone}@x") == "Grace Hopper"
    fails(connection, sa.select(new.c.first_name))


def after(connection: sa.Connection) -> None:
    connection.execute(new.insert().values(first_name="Alan", email="after@x"))
    assert names(connection, "after@x") == ("Alan", "")
    assert names(connection, "s7@x") == ("Ada", "Lovelace7")
    # first_name is NOT NULL now; full_name and nick are gone.
    fails(connection, new.insert().values(first_name=None, email="null@x"))
    fails(connection, old.insert().values(full_name="Late Comer", email="late@x"))
    fails(connection, sa.text("SELECT nick FROM tc_people"))


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["tc_people"],
            setup=SETUP,
            operations=[split(engine.dialect.name)],
            check=check,
            after=after,
            seed=seed,
            after_rollback=after_rollback,
        ),
    )


def _steps(server: str, dialect: str) -> dict[Phase, list[str]]:
    return sql_by_phase(compile_ops(dialect, SETUP, [split(server)]))


def test_postgresql_recipe() -> None:
    sql = _steps("postgresql", "postgresql")
    assert sql[Phase.EXPAND][:2] == [
        'ALTER TABLE "tc_people" ADD COLUMN "first_name" VARCHAR(50)',
        'ALTER TABLE "tc_people" ADD COLUMN "last_name" VARCHAR(50)',
    ]
    trigger = sql[Phase.EXPAND][2]
    assert "split_part(full_name, ' ', 1)" in trigger
    assert "CONCAT_WS(' ', first_name, last_name)" in trigger
    # nick is not written back by the new app: it may be left out of its inserts as it is.
    assert len(sql[Phase.EXPAND]) == 4
    backfill = sql[Phase.BACKFILL]
    assert backfill[0].startswith('UPDATE "tc_people" SET "first_name" = split_part(')
    assert backfill[-1].endswith('CHECK ("first_name" IS NOT NULL) NOT VALID')
    contract = sql[Phase.CONTRACT]
    assert contract[0].endswith('VALIDATE CONSTRAINT "zdm_tc_people_first_name_nn"')
    assert 'ALTER TABLE "tc_people" DROP COLUMN "full_name"' in contract
    assert 'ALTER TABLE "tc_people" DROP COLUMN "nick"' in contract
    assert """ALTER TABLE "tc_people" ALTER COLUMN "last_name" SET DEFAULT ''""" in contract
    assert 'ALTER TABLE "tc_people" ALTER COLUMN "first_name" SET NOT NULL' in contract
    rollback = sql[Phase.ROLLBACK]
    assert rollback[0] == 'ALTER TABLE "tc_people" DROP CONSTRAINT "zdm_tc_people_first_name_nn"'
    assert rollback[-2:] == [
        'ALTER TABLE "tc_people" DROP COLUMN "first_name"',
        'ALTER TABLE "tc_people" DROP COLUMN "last_name"',
    ]


def test_mysql_recipe() -> None:
    sql = _steps("mysql", "mariadb")
    assert sum("CREATE TRIGGER" in s for s in sql[Phase.EXPAND]) == 2
    assert not any("NOT VALID" in s for p in sql.values() for s in p)
    assert any(
        "MODIFY COLUMN `first_name` VARCHAR(50) NOT NULL, ALGORITHM=INPLACE" in s
        for s in sql[Phase.CONTRACT]
    )


BAD_SETUP = [
    *SETUP,
    ops.CreateTable("tc_keyless", Column("a", String(10)), Column("b", String(10))),
]
FIRST = Column("first_name", String(50))


@pytest.mark.parametrize(
    ("operation", "error", "message"),
    [
        (TransformColumn("tc_people", [FIRST], {}, DOWN), InvalidOperation, "up must"),
        (TransformColumn("tc_people", [FIRST], {"first_name": "x"}, {}), InvalidOperation, "down"),
        (
            TransformColumn("tc_people", [Column("email", String(5))], {"email": "x"}, DOWN),
            ColumnExists,
            "email",
        ),
        (
            TransformColumn("tc_people", [FIRST], {"first_name": "x"}, {"nope": "first_name"}),
            ColumnNotFound,
            "nope",
        ),
        (
            TransformColumn("tc_people", [FIRST], {"first_name": "x"}, {"nick": "first_name"}),
            InvalidOperation,
            "server default",
        ),
        (
            TransformColumn("tc_people", [FIRST], {"first_name": "x"}, DOWN, drop=["id"]),
            InvalidOperation,
            "primary key",
        ),
        (
            TransformColumn(
                "tc_people",
                [Column("first_name", String(50), unique=True)],
                {"first_name": "x"},
                DOWN,
            ),
            InvalidOperation,
            "unique",
        ),
        (
            TransformColumn("tc_keyless", [FIRST], {"first_name": "a"}, {"a": "first_name"}),
            InvalidOperation,
            "tc_keyless",
        ),
    ],
)
def test_bad_input(operation: Operation, error: type[Exception], message: str) -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", BAD_SETUP), Schema(), d).after
    with pytest.raises(error, match=message):
        compile_migration(Migration("m", [operation]), base, d)
