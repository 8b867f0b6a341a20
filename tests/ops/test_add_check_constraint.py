from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Integer

from tests.lifecycle import (
    Lifecycle,
    compile_ops,
    compiled,
    fails,
    leftovers,
    run_lifecycle,
    set_up,
    sql_by_phase,
)
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import ExecutionError, ObjectExists, TableNotFound
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.add_check_constraint import AddCheckConstraint
from zdmigrate.run.executor import run_phase, run_rollback
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

NAME = "ck_ck_items_discount"
SETUP = [
    ops.CreateTable(
        "ck_items",
        Column("id", Integer, primary_key=True),
        Column("price", Integer, nullable=False),
        Column("discount", Integer),
    )
]
OPERATION = AddCheckConstraint(NAME, "ck_items", "discount <= price")

old = sa.Table(
    "ck_items",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("price", Integer),
    Column("discount", Integer),
)
new = sa.Table(
    "ck_items",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("price", Integer),
    Column("discount", Integer),
    sa.CheckConstraint("discount <= price", name=NAME),
)


def seed(connection: sa.Connection) -> None:
    connection.execute(
        old.insert(), [{"price": 10 * i, "discount": i if i % 4 else None} for i in range(20)]
    )


def discount(connection: sa.Connection, price: int) -> int | None:
    return connection.execute(sa.select(new.c.discount).where(new.c.price == price)).scalar_one()


def check(connection: sa.Connection, phase: str) -> None:
    price = {"expand": 1001, "backfill": 1002, "again": 1003}[phase]
    connection.execute(old.insert().values(price=price, discount=5))
    connection.execute(new.insert().values(price=price + 100, discount=None))
    assert discount(connection, price) == 5
    assert (
        connection.execute(sa.select(old.c.discount).where(old.c.price == price + 100)).scalar_one()
        is None
    )
    # Every new write is checked from expand on, whichever app makes it.
    fails(connection, old.insert().values(price=1, discount=2))
    fails(connection, old.update().where(old.c.price == price).values(discount=price + 1))
    fails(connection, new.insert().values(price=1, discount=2))
    assert discount(connection, 30) == 3


def after(connection: sa.Connection) -> None:
    connection.execute(new.insert().values(price=2000, discount=2000))
    assert discount(connection, 2000) == 2000
    fails(connection, new.insert().values(price=1, discount=2))
    fails(connection, old.update().where(old.c.price == 30).values(discount=31))


CASE = Lifecycle(
    tables=["ck_items"], setup=SETUP, operations=[OPERATION], check=check, after=after, seed=seed
)


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(engine, dialect, CASE)


def test_existing_violation_fails_loudly(db: tuple[sa.Engine, Dialect]) -> None:
    """A row already breaking the check stops the migration, naming the constraint: in
    backfill's VALIDATE on PostgreSQL, in expand's copy on MySQL/MariaDB."""
    engine, dialect = db

    def with_violation(connection: sa.Connection) -> None:
        seed(connection)
        connection.execute(old.insert().values(price=1, discount=2))

    case = dataclasses.replace(CASE, seed=with_violation)
    migration = compiled(case, dialect, set_up(engine, dialect, case))
    failing = Phase.BACKFILL if dialect.caps.not_valid_constraints else Phase.EXPAND
    with pytest.raises(ExecutionError, match=NAME) as raised:
        for phase in (Phase.EXPAND, Phase.BACKFILL):
            run_phase(engine, migration, phase, dialect)
    assert raised.value.phase == failing
    if failing is Phase.BACKFILL:
        run_rollback(engine, migration, dialect, reached=Phase.EXPAND)
    assert leftovers(engine, dialect, case) == []
    with engine.begin() as connection:
        connection.execute(new.insert().values(price=1, discount=3))


def _compiled(dialect: str) -> dict[Phase, list[str]]:
    migration = compile_ops(dialect, SETUP, [OPERATION])
    assert migration.after.tables["ck_items"].checks[NAME].validated
    return sql_by_phase(migration)


def test_postgresql_sql() -> None:
    assert _compiled("postgresql") == {
        Phase.EXPAND: [
            f'ALTER TABLE "ck_items" ADD CONSTRAINT "{NAME}" CHECK (discount <= price) NOT VALID'
        ],
        Phase.BACKFILL: [f'ALTER TABLE "ck_items" VALIDATE CONSTRAINT "{NAME}"'],
        Phase.CONTRACT: [],
        Phase.ROLLBACK: [f'ALTER TABLE "ck_items" DROP CONSTRAINT "{NAME}"'],
    }
    steps = compile_ops("postgresql", SETUP, [OPERATION]).steps
    add, validate = steps[Phase.EXPAND][0].statement, steps[Phase.BACKFILL][0].statement
    assert add.online and not add.scan
    assert validate.lock == "SHARE UPDATE EXCLUSIVE" and validate.blocks == ()


def test_mysql_says_it_is_not_online() -> None:
    steps = compile_ops("mariadb", SETUP, [OPERATION]).steps
    (add,) = (s.statement for s in steps[Phase.EXPAND])
    assert add.sql == (
        f"ALTER TABLE `ck_items` ADD CONSTRAINT `{NAME}` CHECK (discount <= price), "
        "ALGORITHM=COPY, LOCK=SHARED"
    )
    assert not add.online and add.rewrite and "writes" in add.blocks
    assert add.note and "copying the table" in add.note
    assert steps[Phase.BACKFILL] == []
    assert [s.sql for s in steps[Phase.ROLLBACK]] == [
        f"ALTER TABLE `ck_items` DROP CONSTRAINT `{NAME}`, ALGORITHM=INPLACE, LOCK=NONE"
    ]


@pytest.mark.parametrize(
    ("operation", "error", "match"),
    [
        (AddCheckConstraint("ck_items_pkey", "ck_items", "price > 0"), ObjectExists, "pkey"),
        (AddCheckConstraint("ck_x", "ck_nope", "price > 0"), TableNotFound, "ck_nope"),
    ],
)
def test_bad_input(operation: AddCheckConstraint, error: type[Exception], match: str) -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    with pytest.raises(error, match=match):
        compile_migration(Migration("m", [operation]), base, d)
