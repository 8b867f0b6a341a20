from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Integer, String

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
from zdmigrate.errors import ColumnNotFound, ExecutionError, InvalidOperation, TableNotFound
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.set_not_null import SetNotNull
from zdmigrate.run.executor import run_phase, run_rollback
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

SETUP = [
    ops.CreateTable(
        "sn_orders",
        Column("id", Integer, primary_key=True),
        Column("subtotal", Integer, nullable=False),
        Column("total", Integer),
        Column("status", String(20)),
        Column("customer_id", Integer),
    ),
    ops.CreateTable("sn_log", Column("line", String(50))),
]
OPERATIONS = [
    SetNotNull("sn_orders", "total", fill="subtotal"),
    SetNotNull("sn_orders", "status", fill="'unknown'"),
    SetNotNull("sn_orders", "customer_id"),
]

old = sa.Table(
    "sn_orders",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("subtotal", Integer),
    Column("total", Integer),
    Column("status", String(20)),
    Column("customer_id", Integer),
)
new = sa.Table(
    "sn_orders",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("subtotal", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("customer_id", Integer, nullable=False),
)


def seed(connection: sa.Connection) -> None:
    # Every third total and every second status is NULL; every customer_id is set.
    connection.execute(
        old.insert(),
        [
            {
                "subtotal": 10 * i,
                "total": None if i % 3 == 0 else 10 * i + 1,
                "status": None if i % 2 == 0 else "paid",
                "customer_id": i,
            }
            for i in range(30)
        ],
    )


def seeded(connection: sa.Connection, customer: int) -> tuple[int | None, str | None]:
    row = connection.execute(
        sa.select(new.c.total, new.c.status).where(new.c.customer_id == customer)
    ).one()
    return row.total, row.status


def check(connection: sa.Connection, phase: str) -> None:
    # The old app does not know the rule: the NULLs it writes, on insert and on update, are
    # filled from the row (total ← subtotal) or with a constant (status ← 'unknown').
    old_id = connection.execute(
        old.insert().values(subtotal=7, total=None, status=None, customer_id=100)
    ).inserted_primary_key[0]
    assert connection.execute(
        sa.select(new.c.total, new.c.status).where(new.c.id == old_id)
    ).one() == (7, "unknown")
    connection.execute(
        old.update().where(old.c.id == old_id).values(subtotal=8, total=None, status=None)
    )
    assert connection.execute(
        sa.select(new.c.total, new.c.status).where(new.c.id == old_id)
    ).one() == (8, "unknown")
    connection.execute(old.update().where(old.c.id == old_id).values(status="shipped"))
    assert seeded(connection, 100) == (8, "shipped")
    # The new app always writes values; the old app reads them.
    new_id = connection.execute(
        new.insert().values(subtotal=9, total=10, status="new", customer_id=101)
    ).inserted_primary_key[0]
    assert connection.execute(
        sa.select(old.c.total, old.c.status).where(old.c.id == new_id)
    ).one() == (10, "new")
    nulls = connection.execute(
        sa.select(sa.func.count())
        .select_from(old)
        .where(sa.or_(old.c.total.is_(None), old.c.status.is_(None)))
    ).scalar_one()
    if phase == "expand":
        # Existing rows wait for the backfill.
        assert seeded(connection, 0) == (None, None)
        assert nulls == 15 + 10 - 5
    else:
        assert nulls == 0
        assert seeded(connection, 0) == (0, "unknown")
        assert seeded(connection, 3) == (30, "paid")
        assert seeded(connection, 4) == (41, "unknown")
    connection.execute(old.delete().where(old.c.id.in_([old_id, new_id])))


def after(connection: sa.Connection) -> None:
    connection.execute(new.insert().values(subtotal=1, total=2, status="new", customer_id=200))
    assert seeded(connection, 200) == (2, "new")
    assert seeded(connection, 3) == (30, "paid")
    # The fill triggers are gone with the old app: a NULL is now refused by the column.
    fails(connection, old.insert().values(subtotal=1, total=None, status="x", customer_id=1))
    fails(connection, old.insert().values(subtotal=1, total=1, status=None, customer_id=1))
    fails(connection, old.insert().values(subtotal=1, total=1, status="x", customer_id=None))


CASE = Lifecycle(
    tables=["sn_orders", "sn_log"],
    setup=SETUP,
    operations=OPERATIONS,
    check=check,
    after=after,
    seed=seed,
)


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(engine, dialect, CASE)


def test_null_without_fill_fails_backfill(db: tuple[sa.Engine, Dialect]) -> None:
    """Without ``fill``, a NULL in an existing row stops the backfill (VALIDATE on PostgreSQL,
    the scan elsewhere), before the new app is deployed."""
    engine, dialect = db

    def with_null(connection: sa.Connection) -> None:
        seed(connection)
        connection.execute(old.insert().values(subtotal=1, total=1, status="x", customer_id=None))

    case = dataclasses.replace(
        CASE, operations=[SetNotNull("sn_orders", "customer_id")], seed=with_null
    )
    migration = compiled(case, dialect, set_up(engine, dialect, case))
    run_phase(engine, migration, Phase.EXPAND, dialect)
    with pytest.raises(ExecutionError) as raised:
        run_phase(engine, migration, Phase.BACKFILL, dialect)
    assert raised.value.phase == "backfill"
    assert "customer_id" in str(raised.value)
    run_rollback(engine, migration, dialect, reached=Phase.EXPAND)
    assert leftovers(engine, dialect, case) == []


def test_postgresql_recipe() -> None:
    migration = compile_ops(
        "postgresql", SETUP, [SetNotNull("sn_orders", "status", fill="'unknown'")]
    )
    sql = sql_by_phase(migration)
    assert (
        'IF NEW."status" IS NULL THEN NEW."status" := (SELECT \'unknown\'' in sql[Phase.EXPAND][0]
    )
    assert sql[Phase.EXPAND][1].startswith('CREATE TRIGGER "zdm_sn_orders_status_fill" BEFORE')
    assert sql[Phase.EXPAND][2] == (
        'ALTER TABLE "sn_orders" ADD CONSTRAINT "zdm_sn_orders_status_nn" '
        'CHECK ("status" IS NOT NULL) NOT VALID'
    )
    assert sql[Phase.BACKFILL] == [
        'UPDATE "sn_orders" SET "status" = \'unknown\' WHERE "status" IS NULL',
        'ALTER TABLE "sn_orders" VALIDATE CONSTRAINT "zdm_sn_orders_status_nn"',
    ]
    assert migration.steps[Phase.BACKFILL][0].statement.batched is not None
    assert sql[Phase.CONTRACT] == [
        'DROP TRIGGER IF EXISTS "zdm_sn_orders_status_fill" ON "sn_orders"',
        'DROP FUNCTION IF EXISTS "zdm_sn_orders_status_fill"()',
        'ALTER TABLE "sn_orders" ALTER COLUMN "status" SET NOT NULL',
        'ALTER TABLE "sn_orders" DROP CONSTRAINT "zdm_sn_orders_status_nn"',
    ]
    # The validated check proves SET NOT NULL: no scan under ACCESS EXCLUSIVE.
    set_not_null = migration.steps[Phase.CONTRACT][2].statement
    assert set_not_null.online and not set_not_null.scan
    assert sql[Phase.ROLLBACK] == [
        'ALTER TABLE "sn_orders" DROP CONSTRAINT "zdm_sn_orders_status_nn"',
        'DROP TRIGGER IF EXISTS "zdm_sn_orders_status_fill" ON "sn_orders"',
        'DROP FUNCTION IF EXISTS "zdm_sn_orders_status_fill"()',
    ]


def test_postgresql_without_fill() -> None:
    sql = sql_by_phase(compile_ops("postgresql", SETUP, [SetNotNull("sn_orders", "customer_id")]))
    assert sql[Phase.EXPAND] == [
        'ALTER TABLE "sn_orders" ADD CONSTRAINT "zdm_sn_orders_customer_id_nn" '
        'CHECK ("customer_id" IS NOT NULL) NOT VALID'
    ]
    assert sql[Phase.BACKFILL] == [
        'ALTER TABLE "sn_orders" VALIDATE CONSTRAINT "zdm_sn_orders_customer_id_nn"'
    ]
    assert not any("TRIGGER" in s for s in sql[Phase.CONTRACT] + sql[Phase.ROLLBACK])


def test_mysql_recipe() -> None:
    migration = compile_ops("mysql", SETUP, [SetNotNull("sn_orders", "total", fill="subtotal")])
    sql = sql_by_phase(migration)
    assert [s.split("\n")[0] for s in sql[Phase.EXPAND]] == [
        "CREATE TRIGGER `zdm_sn_orders_total_fill_i` BEFORE INSERT ON `sn_orders` FOR EACH ROW",
        "CREATE TRIGGER `zdm_sn_orders_total_fill_u` BEFORE UPDATE ON `sn_orders` FOR EACH ROW",
    ]
    assert "IF NEW.`total` IS NULL THEN SET NEW.`total` = (SELECT subtotal" in sql[Phase.EXPAND][0]
    assert sql[Phase.BACKFILL] == [
        "UPDATE `sn_orders` SET `total` = subtotal WHERE `total` IS NULL",
        "SELECT 1 FROM `sn_orders` WHERE NOT (`total` IS NOT NULL) LIMIT 1",
    ]
    assert migration.steps[Phase.BACKFILL][1].statement.expect_no_rows
    assert sql[Phase.CONTRACT] == [
        "DROP TRIGGER IF EXISTS `zdm_sn_orders_total_fill_i`",
        "DROP TRIGGER IF EXISTS `zdm_sn_orders_total_fill_u`",
        "ALTER TABLE `sn_orders` MODIFY COLUMN `total` INTEGER NOT NULL, "
        "ALGORITHM=INPLACE, LOCK=NONE",
    ]


@pytest.mark.parametrize(
    ("operation", "error", "where"),
    [
        (SetNotNull("sn_orders", "nope"), ColumnNotFound, "nope"),
        (SetNotNull("sn_nope", "total"), TableNotFound, "sn_nope"),
        (SetNotNull("sn_orders", "subtotal"), InvalidOperation, "subtotal"),
        (SetNotNull("sn_orders", "id"), InvalidOperation, "id"),
        (SetNotNull("sn_log", "line", fill="'-'"), InvalidOperation, "sn_log"),
    ],
)
def test_bad_input(operation: SetNotNull, error: type[Exception], where: str) -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    with pytest.raises(error, match=where):
        compile_migration(Migration("m", [operation]), base, d)


def test_without_fill_needs_no_key() -> None:
    """Only a fill is a batched job: a table without a key can still be checked and set."""
    compile_ops("postgresql", SETUP, [SetNotNull("sn_log", "line")])
