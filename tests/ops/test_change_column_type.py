from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Enum, ForeignKey, Integer, Numeric, String, Text

from tests.lifecycle import Lifecycle, compile_ops, fails, run_lifecycle, sql_by_phase
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import ColumnNotFound, InvalidOperation
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.base import Operation
from zdmigrate.ops.change_column_type import ChangeColumnType
from zdmigrate.run.executor import run_phase, run_steps
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

# --- int → numeric(12,2) / decimal(12,2), on both servers -------------------------------------

ORDERS = [
    ops.CreateTable(
        "ct_orders",
        Column("id", Integer, primary_key=True),
        Column("amount", Integer, nullable=False, server_default="0"),
        Column("note", String(50)),
    ),
    ops.CreateIndex("ix_ct_orders_amount", "ct_orders", ["amount"]),
]

old_orders = sa.Table(
    "ct_orders",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("amount", Integer),
    Column("note", String(50)),
)
new_orders = sa.Table(
    "ct_orders",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("amount", Numeric(12, 2)),
    Column("note", String(50)),
)


def amount_change(engine: sa.Engine) -> ChangeColumnType:
    if engine.dialect.name == "postgresql":
        return ChangeColumnType(
            "ct_orders", "amount", Numeric(12, 2), up="amount::numeric(12,2)", down="amount::int"
        )
    return ChangeColumnType(
        "ct_orders",
        "amount",
        Numeric(12, 2),
        up="CAST(amount AS DECIMAL(12,2))",
        down="CAST(amount AS SIGNED)",
    )


def amount_of(connection: sa.Connection, table: sa.Table, note: str) -> object:
    return connection.execute(sa.select(table.c.amount).where(table.c.note == note)).scalar_one()


def raw(connection: sa.Connection, column: str, note: str) -> object:
    """A column neither app knows (the shadow or the retired one), read directly."""
    sql = f"SELECT {column} FROM ct_orders WHERE note = :note"
    return connection.execute(sa.text(sql), {"note": note}).scalar_one()


def seed_orders(connection: sa.Connection) -> None:
    connection.execute(
        old_orders.insert(), [{"amount": i * 10, "note": f"s{i}"} for i in range(30)]
    )


def check_orders(connection: sa.Connection, phase: str) -> None:
    if phase == "expand":
        # Before the swap the column keeps its old type; the old app's writes reach the shadow.
        connection.execute(old_orders.insert().values(amount=7, note="old-expand"))
        assert raw(connection, "zdm_amount_new", "old-expand") == Decimal("7.00")
        connection.execute(old_orders.update().where(old_orders.c.note == "s3").values(amount=33))
        assert raw(connection, "zdm_amount_new", "s3") == Decimal("33.00")
        # The new app is deployed after backfill; here it only writes what the old type holds.
        connection.execute(new_orders.insert().values(amount=Decimal(8), note="new-expand"))
        assert amount_of(connection, new_orders, "new-expand") == Decimal(8)
        assert raw(connection, "zdm_amount_new", "new-expand") == Decimal("8.00")
        return
    # After the swap both apps use `amount`, now of the new type.
    connection.execute(new_orders.insert().values(amount=Decimal("12.34"), note=f"new-{phase}"))
    connection.execute(old_orders.insert().values(amount=5, note=f"old-{phase}"))
    assert amount_of(connection, new_orders, f"new-{phase}") == Decimal("12.34")
    assert amount_of(connection, new_orders, f"old-{phase}") == Decimal("5.00")
    # The old app reads the new type: the tolerance the planner checks.
    assert amount_of(connection, old_orders, f"new-{phase}") == Decimal("12.34")
    # The retired column follows `down` for a rollback.
    assert raw(connection, "zdm_amount_old", f"new-{phase}") == 12
    connection.execute(
        new_orders.update().where(new_orders.c.note == "s4").values(amount=Decimal("40.25"))
    )
    assert raw(connection, "zdm_amount_old", "s4") == 40
    # Seeded rows came over, and the default moved to the new column at the swap.
    assert amount_of(connection, new_orders, "s9") == Decimal("90.00")
    connection.execute(new_orders.insert().values(note=f"default-{phase}"))
    assert amount_of(connection, new_orders, f"default-{phase}") == Decimal("0.00")
    assert raw(connection, "zdm_amount_old", f"default-{phase}") == 0
    if phase == "again":
        # Written by the new app after the first swap, kept by the rollback as down(12.34).
        assert amount_of(connection, new_orders, "new-backfill") == Decimal("12.00")


def orders_after_rollback(connection: sa.Connection, undone: str) -> None:
    assert amount_of(connection, old_orders, "old-expand") == 7
    if undone == "backfill":
        # The old column is back, with the new app's write from after the swap, as down(it).
        assert amount_of(connection, old_orders, "new-backfill") == 12
        assert amount_of(connection, old_orders, "s4") == 40
        fails(connection, sa.text("SELECT zdm_amount_old FROM ct_orders"))


def orders_after(connection: sa.Connection) -> None:
    connection.execute(new_orders.insert().values(amount=Decimal("7.25"), note="after"))
    assert amount_of(connection, new_orders, "after") == Decimal("7.25")
    assert amount_of(connection, new_orders, "s5") == Decimal("50.00")
    connection.execute(new_orders.insert().values(note="after-default"))
    assert amount_of(connection, new_orders, "after-default") == Decimal("0.00")
    # NOT NULL and the index came over to the new column; the retired one is gone.
    fails(connection, new_orders.insert().values(amount=None, note="null"))
    indexes = {
        i["name"]: i["column_names"] for i in sa.inspect(connection).get_indexes("ct_orders")
    }
    assert indexes["ix_ct_orders_amount"] == ["amount"]
    fails(connection, sa.text("SELECT zdm_amount_old FROM ct_orders"))


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["ct_orders"],
            setup=ORDERS,
            operations=[amount_change(engine)],
            check=check_orders,
            after=orders_after,
            seed=seed_orders,
            after_rollback=orders_after_rollback,
        ),
    )


# --- varchar(20) → text with a UNIQUE constraint, PostgreSQL ----------------------------------

CODES = [
    ops.CreateTable(
        "ct_codes",
        Column("id", Integer, primary_key=True),
        Column("code", String(20), nullable=False, unique=True),
    )
]
old_codes = sa.Table(
    "ct_codes", sa.MetaData(), Column("id", Integer, primary_key=True), Column("code", String(20))
)
new_codes = sa.Table(
    "ct_codes", sa.MetaData(), Column("id", Integer, primary_key=True), Column("code", Text)
)
LONG = "L" * 25


def code_of(connection: sa.Connection, row_id: int) -> object:
    return connection.execute(sa.select(new_codes.c.code).where(new_codes.c.id == row_id)).scalar()


def check_codes(connection: sa.Connection, phase: str) -> None:
    base = {"expand": 100, "backfill": 200, "again": 300}[phase]
    connection.execute(old_codes.insert().values(id=base, code=f"old-{phase}"))
    assert code_of(connection, base) == f"old-{phase}"
    if phase == "expand":
        return
    # A code longer than the old type holds; down keeps its first 20 characters.
    connection.execute(new_codes.insert().values(id=base + 1, code=phase + LONG))
    assert code_of(connection, base + 1) == phase + LONG
    fails(connection, new_codes.insert().values(id=base + 2, code=f"old-{phase}"))


def codes_after_rollback(connection: sa.Connection, undone: str) -> None:
    if undone == "backfill":
        # down is code::varchar(20): the old column keeps the first 20 characters.
        assert code_of(connection, 201) == ("backfill" + LONG)[:20]


def codes_after(connection: sa.Connection) -> None:
    connection.execute(new_codes.insert().values(id=1000, code="T" * 40))
    assert code_of(connection, 1000) == "T" * 40
    fails(connection, new_codes.insert().values(id=1001, code="T" * 40))
    fails(connection, new_codes.insert().values(id=1002, code=None))
    constraints = sa.inspect(connection).get_unique_constraints("ct_codes")
    assert [(u["name"], u["column_names"]) for u in constraints] == [
        ("ct_codes_code_key", ["code"])
    ]


def test_lifecycle_varchar_to_text(pg_engine: sa.Engine) -> None:
    from tests.conftest import server_dialect

    run_lifecycle(
        pg_engine,
        server_dialect(pg_engine),
        Lifecycle(
            tables=["ct_codes"],
            setup=CODES,
            operations=[
                ChangeColumnType("ct_codes", "code", Text(), "code::text", "code::varchar(20)")
            ],
            check=check_codes,
            after=codes_after,
            seed=lambda c: c.execute(
                old_codes.insert(), [{"id": i, "code": f"c{i}"} for i in range(1, 20)]
            ),
            after_rollback=codes_after_rollback,
        ),
    )


# --- an inline ENUM gains a value, MariaDB/MySQL ------------------------------------------------

TICKETS = [
    ops.CreateTable(
        "ct_tickets",
        Column("id", Integer, primary_key=True),
        Column("status", Enum("a", "b"), nullable=False, server_default="a"),
        Column("title", String(20)),
    )
]
# The old app treats the status as text, as it must to read a label it does not know.
old_tickets = sa.Table(
    "ct_tickets",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("status", String(1)),
    Column("title", String(20)),
)
new_tickets = sa.Table(
    "ct_tickets",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("status", Enum("a", "b", "c")),
    Column("title", String(20)),
)


def status_of(connection: sa.Connection, title: str) -> object:
    query = sa.select(old_tickets.c.status).where(old_tickets.c.title == title)
    return connection.execute(query).scalar_one()


def check_tickets(connection: sa.Connection, phase: str) -> None:
    connection.execute(old_tickets.insert().values(status="b", title=f"old-{phase}"))
    if phase == "expand":
        shadow = "SELECT zdm_status_new FROM ct_tickets WHERE title = 'old-expand'"
        assert connection.execute(sa.text(shadow)).scalar_one() == "b"
        return
    connection.execute(new_tickets.insert().values(status="c", title=f"new-{phase}"))
    assert status_of(connection, f"new-{phase}") == "c"
    assert status_of(connection, f"old-{phase}") == "b"
    connection.execute(new_tickets.insert().values(title=f"default-{phase}"))
    assert status_of(connection, f"default-{phase}") == "a"


def tickets_after_rollback(connection: sa.Connection, undone: str) -> None:
    if undone == "backfill":
        # down maps the new label to one the old type has.
        assert status_of(connection, "new-backfill") == "b"
        fails(connection, old_tickets.insert().values(status="c", title="c-before"))


def tickets_after(connection: sa.Connection) -> None:
    connection.execute(new_tickets.insert().values(status="c", title="after"))
    assert status_of(connection, "after") == "c"
    assert status_of(connection, "s1") == "b"
    fails(connection, new_tickets.insert().values(status=None, title="null"))


def test_lifecycle_inline_enum(mysql_engine: sa.Engine) -> None:
    from tests.conftest import server_dialect

    run_lifecycle(
        mysql_engine,
        server_dialect(mysql_engine),
        Lifecycle(
            tables=["ct_tickets"],
            setup=TICKETS,
            operations=[
                ChangeColumnType(
                    "ct_tickets",
                    "status",
                    Enum("a", "b", "c"),
                    up="status",
                    down="IF(status = 'c', 'b', status)",
                )
            ],
            check=check_tickets,
            after=tickets_after,
            seed=lambda c: c.execute(
                old_tickets.insert(), [{"status": "ab"[i % 2], "title": f"s{i}"} for i in range(9)]
            ),
            after_rollback=tickets_after_rollback,
        ),
    )


# --- the swap holds off writes -----------------------------------------------------------------


def test_swap_holds_off_writes(db: tuple[sa.Engine, Dialect]) -> None:
    """A write that arrives while the swap has no sync trigger waits for the swap to finish,
    then goes through the new trigger: it cannot land in between and escape the sync."""
    engine, dialect = db
    setup = compile_migration(Migration("setup", ORDERS), Schema(), dialect)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {dialect.table('ct_orders')}")
    run_steps(engine, dialect, setup.phase(Phase.EXPAND), migration="setup")
    migration = compile_migration(Migration("m", [amount_change(engine)]), setup.after, dialect)
    run_phase(engine, migration, Phase.EXPAND, dialect)
    backfill = migration.phase(Phase.BACKFILL)
    first_swap = next(i for i, s in enumerate(backfill) if "DROP TRIGGER" in s.sql)
    swap = backfill[first_swap - (not dialect.caps.transactional_ddl) :]
    run_steps(engine, dialect, backfill[: len(backfill) - len(swap)], migration="m")
    midway = next(i for i, s in enumerate(swap) if "CREATE" in s.sql)
    swapper = engine.connect()
    swapper.begin()
    for step in swap[:midway]:
        swapper.exec_driver_sql(step.sql)
    timeout = (
        "SET lock_timeout = '300ms'"
        if dialect.caps.transactional_ddl
        else ("SET SESSION lock_wait_timeout = 1")
    )
    with engine.connect() as writer:
        writer.exec_driver_sql(timeout)
        with pytest.raises(sa.exc.OperationalError):
            writer.execute(old_orders.insert().values(amount=3, note="midway"))
        writer.rollback()
        for step in swap[midway:]:
            swapper.exec_driver_sql(step.sql)
        swapper.commit()
        swapper.close()
        writer.execute(new_orders.insert().values(amount=Decimal("3.75"), note="after swap"))
        assert raw(writer, "zdm_amount_old", "after swap") == 4
        writer.commit()
    run_phase(engine, migration, Phase.CONTRACT, dialect)


# --- compiled SQL ------------------------------------------------------------------------------


PG_CHANGE = ChangeColumnType(
    "ct_orders", "amount", Numeric(12, 2), up="amount::numeric(12,2)", down="amount::int"
)
MY_CHANGE = ChangeColumnType(
    "ct_orders", "amount", Numeric(12, 2), "CAST(amount AS DECIMAL(12,2))", "CAST(amount AS SIGNED)"
)


def test_postgresql_recipe() -> None:
    compiled = compile_ops("postgresql", ORDERS, [PG_CHANGE])
    steps, sql = compiled.steps, sql_by_phase(compiled)
    assert (
        sql[Phase.EXPAND][0] == 'ALTER TABLE "ct_orders" ADD COLUMN "zdm_amount_new" NUMERIC(12,2)'
    )
    assert "amount::numeric(12,2)" in sql[Phase.EXPAND][1]
    backfill = sql[Phase.BACKFILL]
    assert backfill[0] == (
        'UPDATE "ct_orders" SET "zdm_amount_new" = amount::numeric(12,2) '
        'WHERE "zdm_amount_new" IS DISTINCT FROM amount::numeric(12,2)'
    )
    assert (
        'CREATE INDEX CONCURRENTLY "zdm_ix_ct_orders_amount" ON "ct_orders" ("zdm_amount_new")'
        in backfill
    )
    swap = backfill[
        backfill.index('DROP TRIGGER IF EXISTS "zdm_ct_orders_type_amount" ON "ct_orders"') :
    ]
    assert swap[2:6] == [
        'ALTER TABLE "ct_orders" ALTER COLUMN "amount" DROP DEFAULT',
        'ALTER TABLE "ct_orders" ALTER COLUMN "zdm_amount_new" SET DEFAULT 0',
        'ALTER TABLE "ct_orders" RENAME COLUMN "amount" TO "zdm_amount_old"',
        'ALTER TABLE "ct_orders" RENAME COLUMN "zdm_amount_new" TO "amount"',
    ]
    assert "amount::int" in swap[6]
    assert swap[-1].endswith('CHECK ("amount" IS NOT NULL) NOT VALID')
    # The swap is one transaction: every step of it is transactional, none is batched.
    swap_steps = steps[Phase.BACKFILL][-len(swap) :]
    assert all(s.statement.transactional and not s.statement.batched for s in swap_steps)
    assert not any(" TYPE " in s for p in sql.values() for s in p)
    contract = sql[Phase.CONTRACT]
    assert contract[0].endswith('VALIDATE CONSTRAINT "zdm_ct_orders_amount_nn"')
    assert 'ALTER TABLE "ct_orders" DROP COLUMN "zdm_amount_old"' in contract
    assert 'ALTER INDEX "zdm_ix_ct_orders_amount" RENAME TO "ix_ct_orders_amount"' in contract
    assert 'ALTER TABLE "ct_orders" ALTER COLUMN "amount" SET NOT NULL' in contract
    rollback = sql[Phase.ROLLBACK]
    assert 'ALTER TABLE "ct_orders" RENAME COLUMN "amount" TO "zdm_amount_new"' in rollback
    assert rollback[-1] == 'ALTER TABLE "ct_orders" DROP COLUMN "zdm_amount_new"'


def test_mysql_recipe_is_online() -> None:
    steps = compile_ops(get_dialect("mariadb", "10.11"), ORDERS, [MY_CHANGE]).steps
    statements = [s.statement for phase in steps.values() for s in phase]
    assert not any("ALGORITHM=COPY" in s.sql for s in statements)
    assert all(s.online for s in statements)
    backfill = [s.statement for s in steps[Phase.BACKFILL]]
    assert backfill[0].batched is not None
    assert backfill[0].note and "batches" in backfill[0].note
    sql = [s.sql for s in backfill]
    lock = sql.index("LOCK TABLES `ct_orders` WRITE")
    assert sql[-1] == "UNLOCK TABLES"
    assert sql[lock + 1 : lock + 3] == [
        "DROP TRIGGER IF EXISTS `zdm_ct_orders_type_amount_i`",
        "DROP TRIGGER IF EXISTS `zdm_ct_orders_type_amount_u`",
    ]
    assert sum("CREATE TRIGGER" in s for s in sql[lock:]) == 2
    assert backfill[lock].blocks == ("reads", "writes")
    rollback = [s.sql for s in steps[Phase.ROLLBACK]]
    assert rollback[0] == "LOCK TABLES `ct_orders` WRITE"
    assert (
        "ALTER TABLE `ct_orders` RENAME COLUMN `zdm_amount_old` TO `amount`, ALGORITHM=INSTANT"
        in rollback
    )
    contract = [s.sql for s in steps[Phase.CONTRACT]]
    assert any("MODIFY COLUMN `amount` DECIMAL(12,2) DEFAULT 0 NOT NULL" in s for s in contract)


def test_apply_changes_only_the_type() -> None:
    after = compile_ops("postgresql", ORDERS, [PG_CHANGE]).after
    column = after.table("ct_orders").column("amount")
    assert (column.type, column.nullable, column.default) == ("NUMERIC(12,2)", False, "0")
    assert after.table("ct_orders").indexes["ix_ct_orders_amount"].columns == ["amount"]


# --- bad input ---------------------------------------------------------------------------------

REFS = [
    *ORDERS,
    ops.CreateTable(
        "ct_lines",
        Column("id", Integer, primary_key=True),
        Column("order_id", Integer, ForeignKey("ct_orders.id")),
        Column("qty", Integer, sa.CheckConstraint("qty > 0", name="ck_ct_lines_qty")),
    ),
    ops.CreateTable("ct_keyless", Column("n", Integer)),
]


@pytest.mark.parametrize(
    ("operation", "error", "message"),
    [
        (ChangeColumnType("ct_orders", "nope", Text(), "x", "x"), ColumnNotFound, "nope"),
        (ChangeColumnType("ct_orders", "id", Numeric(), "x", "x"), InvalidOperation, "identity"),
        (
            ChangeColumnType("ct_lines", "order_id", Numeric(), "x", "x"),
            InvalidOperation,
            "foreign",
        ),
        (ChangeColumnType("ct_orders", "amount", Integer(), "x", "x"), InvalidOperation, "already"),
        (ChangeColumnType("ct_orders", "note", Text(), "note", " "), InvalidOperation, "down"),
        (ChangeColumnType("ct_lines", "qty", Numeric(), "x", "x"), InvalidOperation, "ck_ct_lines"),
        (ChangeColumnType("ct_keyless", "n", Numeric(), "x", "x"), InvalidOperation, "ct_keyless"),
    ],
)
def test_bad_input(operation: Operation, error: type[Exception], message: str) -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", REFS), Schema(), d).after
    with pytest.raises(error, match=message):
        compile_migration(Migration("m", [operation]), base, d)
