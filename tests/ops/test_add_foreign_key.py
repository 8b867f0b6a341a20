from __future__ import annotations

import dataclasses
from contextlib import ExitStack
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Integer, String

from tests.conftest import server_dialect
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
from zdmigrate.errors import (
    ColumnNotFound,
    ExecutionError,
    InvalidOperation,
    ObjectExists,
    TableNotFound,
)
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.add_foreign_key import AddForeignKey
from zdmigrate.run.executor import run_phase, run_rollback
from zdmigrate.schema import Column as ColumnModel
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

NAME = "fk_fk_orders_customer"
SETUP = [
    ops.CreateTable(
        "fk_customers",
        Column("id", Integer, primary_key=True),
        Column("code", String(10)),
        Column("name", String(50)),
    ),
    ops.CreateIndex("ux_fk_customers_code", "fk_customers", ["code"], unique=True),
    ops.CreateTable(
        "fk_orders",
        Column("id", Integer, primary_key=True),
        Column("customer_id", Integer),
        Column("customer_code", String(10)),
        Column("note", String(20)),
        Column("amount", Integer),
    ),
]
OPERATION = AddForeignKey(
    NAME, "fk_orders", ["customer_id"], "fk_customers", ["id"], on_delete="cascade"
)

customers = sa.Table(
    "fk_customers",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("code", String(10)),
    Column("name", String(50)),
)
old = sa.Table(
    "fk_orders",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer),
    Column("amount", Integer),
)
new_metadata = sa.MetaData()
sa.Table("fk_customers", new_metadata, Column("id", Integer, primary_key=True))
new = sa.Table(
    "fk_orders",
    new_metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, sa.ForeignKey("fk_customers.id", ondelete="CASCADE")),
    Column("amount", Integer),
)


def seed(connection: sa.Connection) -> None:
    connection.execute(customers.insert(), [{"id": i, "name": f"c{i}"} for i in range(1, 6)])
    connection.execute(
        old.insert(),
        [{"customer_id": 1 + i % 5 if i % 7 else None, "amount": i} for i in range(30)],
    )


def amounts(connection: sa.Connection, customer: int) -> list[int]:
    return list(
        connection.execute(
            sa.select(new.c.amount).where(new.c.customer_id == customer).order_by(new.c.amount)
        ).scalars()
    )


def check(connection: sa.Connection, phase: str) -> None:
    amount = {"expand": 1000, "backfill": 2000, "again": 3000}[phase]
    connection.execute(old.insert().values(customer_id=2, amount=amount))
    connection.execute(new.insert().values(customer_id=2, amount=amount + 1))
    connection.execute(old.insert().values(customer_id=None, amount=amount + 2))
    assert amounts(connection, 2)[-2:] == [amount, amount + 1]
    # New writes are checked from expand on, whichever app makes them.
    fails(connection, old.insert().values(customer_id=99, amount=0))
    fails(connection, new.update().where(new.c.amount == amount).values(customer_id=99))
    assert 1 in amounts(connection, 2)


def after(connection: sa.Connection) -> None:
    connection.execute(new.insert().values(customer_id=3, amount=4000))
    assert amounts(connection, 3)[-1] == 4000
    fails(connection, new.insert().values(customer_id=99, amount=0))
    # ON DELETE CASCADE: a customer's orders go with it.
    connection.execute(customers.delete().where(customers.c.id == 3))
    assert amounts(connection, 3) == []


CASE = Lifecycle(
    tables=["fk_customers", "fk_orders"],
    setup=SETUP,
    operations=[OPERATION],
    check=check,
    after=after,
    seed=seed,
)


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(engine, dialect, CASE)


def test_orphans_fail_backfill(db: tuple[sa.Engine, Dialect]) -> None:
    """An existing row without its parent stops the backfill, naming the constraint: VALIDATE
    on PostgreSQL, the orphan scan on MySQL/MariaDB (whose ALTER skipped the check)."""
    engine, dialect = db

    def with_orphan(connection: sa.Connection) -> None:
        seed(connection)
        connection.execute(old.insert().values(customer_id=42, amount=-1))

    case = dataclasses.replace(CASE, seed=with_orphan)
    migration = compiled(case, dialect, set_up(engine, dialect, case))
    run_phase(engine, migration, Phase.EXPAND, dialect)
    with pytest.raises(ExecutionError, match=NAME) as raised:
        run_phase(engine, migration, Phase.BACKFILL, dialect)
    assert raised.value.phase == "backfill"
    run_rollback(engine, migration, dialect, reached=Phase.EXPAND)
    assert leftovers(engine, dialect, case) == []


def _session_checks(engine: sa.Engine) -> list[int]:
    """``@@foreign_key_checks`` of every connection idle in the pool, and one more."""
    with ExitStack() as stack:
        connections = [
            stack.enter_context(engine.connect()) for _ in range(engine.pool.checkedin() + 1)
        ]
        return [
            int(c.exec_driver_sql("SELECT @@session.foreign_key_checks").scalar_one())
            for c in connections
        ]


def test_session_setting_reaches_the_alter(mysql_engine: sa.Engine) -> None:
    """The ALTER runs on the connection where foreign_key_checks is off, even when the pool holds
    several idle connections; a failed ALTER leaves no connection with the checks off."""
    engine, dialect = mysql_engine, server_dialect(mysql_engine)
    migration = compiled(CASE, dialect, set_up(engine, dialect, CASE))
    with engine.connect(), engine.connect(), engine.connect():
        pass
    run_phase(engine, migration, Phase.EXPAND, dialect)
    assert set(_session_checks(engine)) == {1}

    # A model that has a column the table lacks: the server refuses the ALTER between the SETs.
    stale = migration.after.copy()
    stale.tables["fk_orders"].columns["ghost"] = ColumnModel("ghost", "INTEGER")
    wrong = AddForeignKey("fk_fk_orders_ghost", "fk_orders", ["ghost"], "fk_customers", ["id"])
    failing = compiled(dataclasses.replace(CASE, operations=[wrong]), dialect, stale)
    with engine.connect(), engine.connect(), engine.connect():
        pass
    with pytest.raises(ExecutionError, match="ghost"):
        run_phase(engine, failing, Phase.EXPAND, dialect)
    assert set(_session_checks(engine)) == {1}


def _compiled(dialect: str) -> dict[Phase, list[str]]:
    migration = compile_ops(dialect, SETUP, [OPERATION])
    assert migration.after.tables["fk_orders"].foreign_keys[OPERATION.name].validated
    return sql_by_phase(migration)


def test_postgresql_sql() -> None:
    assert _compiled("postgresql") == {
        Phase.EXPAND: [
            f'ALTER TABLE "fk_orders" ADD CONSTRAINT "{NAME}" FOREIGN KEY ("customer_id") '
            'REFERENCES "fk_customers" ("id") ON DELETE CASCADE NOT VALID'
        ],
        Phase.BACKFILL: [f'ALTER TABLE "fk_orders" VALIDATE CONSTRAINT "{NAME}"'],
        Phase.CONTRACT: [],
        Phase.ROLLBACK: [f'ALTER TABLE "fk_orders" DROP CONSTRAINT "{NAME}"'],
    }


def test_mysql_sql() -> None:
    sql = _compiled("mysql")
    assert sql[Phase.EXPAND] == [
        "SET SESSION foreign_key_checks = 0",
        f"ALTER TABLE `fk_orders` ADD CONSTRAINT `{NAME}` FOREIGN KEY (`customer_id`) "
        "REFERENCES `fk_customers` (`id`) ON DELETE CASCADE, ALGORITHM=INPLACE, LOCK=NONE",
        "SET SESSION foreign_key_checks = 1",
    ]
    assert sql[Phase.BACKFILL] == [
        "SELECT 1 FROM `fk_orders` AS c LEFT JOIN `fk_customers` AS p ON p.`id` = c.`customer_id` "
        "WHERE c.`customer_id` IS NOT NULL AND p.`id` IS NULL LIMIT 1"
    ]
    # InnoDB adds an index named after the constraint, and keeps it when the constraint goes.
    assert sql[Phase.ROLLBACK] == [
        f"ALTER TABLE `fk_orders` DROP FOREIGN KEY `{NAME}`, ALGORITHM=INPLACE, LOCK=NONE",
        f"ALTER TABLE `fk_orders` DROP INDEX `{NAME}`, ALGORITHM=INPLACE, LOCK=NONE",
    ]


def test_mysql_uses_an_existing_index() -> None:
    setup = [
        *SETUP,
        ops.CreateIndex("ix_fk_orders_code_note", "fk_orders", ["customer_code", "note"]),
    ]
    by_code = AddForeignKey("fk_by_code", "fk_orders", ["customer_code"], "fk_customers", ["code"])
    migration = compile_ops("mysql", setup, [by_code])
    assert [s.sql for s in migration.steps[Phase.ROLLBACK]] == [
        "ALTER TABLE `fk_orders` DROP FOREIGN KEY `fk_by_code`, ALGORITHM=INPLACE, LOCK=NONE"
    ]
    assert "fk_by_code" not in migration.after.tables["fk_orders"].indexes


def fk(**changes: Any) -> AddForeignKey:
    return dataclasses.replace(OPERATION, **changes)


@pytest.mark.parametrize(
    ("operation", "error", "match"),
    [
        (fk(columns=["nope"]), ColumnNotFound, "nope.*fk_orders"),
        (fk(ref_table="fk_nope"), TableNotFound, "fk_nope"),
        (fk(ref_columns=["nope"]), ColumnNotFound, "nope.*fk_customers"),
        (fk(ref_columns=["name"]), InvalidOperation, "not its primary key or a unique key"),
        (fk(columns=["customer_id", "amount"]), InvalidOperation, "as many"),
        (fk(on_delete="EXPLODE"), InvalidOperation, "EXPLODE"),
        (fk(name="fk_orders_pkey"), ObjectExists, "fk_orders_pkey"),
    ],
)
def test_bad_input(operation: AddForeignKey, error: type[Exception], match: str) -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    with pytest.raises(error, match=match):
        compile_migration(Migration("m", [operation]), base, d)
