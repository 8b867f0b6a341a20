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
from zdmigrate.errors import ExecutionError, InvalidOperation, ObjectExists, TableNotFound
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
    if phase == "expand" and connection.dialect.name != "postgresql":
        return  # MySQL/MariaDB: the check comes with the shadow-table copy, in backfill
    # Every new write is checked from then on, whichever app makes it.
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
    """A row already breaking the check stops the migration in backfill, naming the
    constraint: in the VALIDATE on PostgreSQL, in the shadow-table copy on MySQL/MariaDB."""
    engine, dialect = db

    def with_violation(connection: sa.Connection) -> None:
        seed(connection)
        connection.execute(old.insert().values(price=1, discount=2))

    case = dataclasses.replace(CASE, seed=with_violation)
    migration = compiled(case, dialect, set_up(engine, dialect, case))
    with pytest.raises(ExecutionError, match=NAME) as raised:
        for phase in (Phase.EXPAND, Phase.BACKFILL):
            run_phase(engine, migration, phase, dialect)
    assert raised.value.phase == Phase.BACKFILL
    run_rollback(engine, migration, dialect, reached=Phase.BACKFILL)
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


def test_mysql_adds_it_by_a_shadow_table_copy() -> None:
    steps = compile_ops("mariadb", SETUP, [OPERATION]).steps
    assert steps[Phase.EXPAND] == []
    (copy,) = (s.statement for s in steps[Phase.BACKFILL])
    assert copy.shadow is not None and copy.online
    assert f"ALTER TABLE `ck_items_zdm_new` ADD CONSTRAINT `{NAME}` CHECK (discount <= price)" in (
        copy.sql
    )
    assert [s.sql for s in steps[Phase.CONTRACT]][-1] == "DROP TABLE IF EXISTS `ck_items_zdm_old`"
    (undo,) = (s.statement for s in steps[Phase.ROLLBACK])
    assert undo.shadow == copy.shadow


def test_mysql_without_a_copy_says_why_and_that_it_blocks_writes() -> None:
    """A table the copy refuses (here: one with a foreign key) gets the blocking ALTER."""
    setup = [
        *SETUP,
        ops.CreateTable(
            "ck_lines",
            Column("id", Integer, primary_key=True),
            Column("item_id", Integer, sa.ForeignKey("ck_items.id")),
            Column("qty", Integer),
        ),
    ]
    steps = compile_ops("mariadb", setup, [AddCheckConstraint("ck_qty", "ck_lines", "qty > 0")])
    (add,) = (s.statement for s in steps.steps[Phase.EXPAND])
    assert add.sql == (
        "ALTER TABLE `ck_lines` ADD CONSTRAINT `ck_qty` CHECK (qty > 0), "
        "ALGORITHM=COPY, LOCK=SHARED"
    )
    assert not add.online and add.rewrite and "writes" in add.blocks
    assert add.note and "no shadow-table copy" in add.note and "foreign key" in add.note
    assert steps.steps[Phase.BACKFILL] == []
    assert [s.sql for s in steps.steps[Phase.ROLLBACK]] == [
        "ALTER TABLE `ck_lines` DROP CONSTRAINT `ck_qty`, ALGORITHM=INPLACE, LOCK=NONE"
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


def test_mysql_refuses_a_later_change_to_the_copied_table_in_expand() -> None:
    """Expand runs before the copy in backfill, which was planned without the index."""
    later = ops.CreateIndex("ix_ck_items_price", "ck_items", ["price"])
    with pytest.raises(InvalidOperation, match="before the shadow-table copy of operation 1"):
        compile_ops("mariadb", SETUP, [OPERATION, later])
    compile_ops("mariadb", SETUP, [later, OPERATION])  # before it: the copy carries it over
