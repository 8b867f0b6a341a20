from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, ForeignKey, Index, Integer, String, UniqueConstraint

from tests.conftest import server_dialect
from tests.lifecycle import Lifecycle, compile_ops, fails, run_lifecycle, sql_by_phase
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import TableExists, TableNotFound
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.create_table import CreateTable
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

SETUP = [
    ops.CreateTable(
        "ct_customers",
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False),
    )
]
ORDERS = CreateTable(
    "ct_orders",
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("ct_customers.id"), nullable=False),
    Column("ref", String(20), nullable=False),
    Column("note", String(50), nullable=False, server_default="none"),
    UniqueConstraint("ref", name="uq_ct_orders_ref"),
    Index("ix_ct_orders_customer", "customer_id"),
)

# The old app knows only customers; the new app also writes orders.
customers = sa.Table(
    "ct_customers",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
)
orders = sa.Table(
    "ct_orders",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer),
    Column("ref", String(20)),
    Column("note", String(50)),
)


def check(connection: sa.Connection, phase: str) -> None:
    customer = connection.execute(
        customers.insert().values(name=f"old-{phase}")
    ).inserted_primary_key[0]
    connection.execute(orders.insert().values(customer_id=customer, ref=f"R-{phase}"))
    query = sa.select(customers.c.name, orders.c.note).join_from(
        orders, customers, orders.c.customer_id == customers.c.id
    )
    assert tuple(connection.execute(query.where(orders.c.ref == f"R-{phase}")).one()) == (
        f"old-{phase}",
        "none",
    )
    # The constraints came with the table.
    fails(connection, orders.insert().values(customer_id=customer, ref=f"R-{phase}"))
    fails(connection, orders.insert().values(customer_id=999_999, ref=f"X-{phase}"))
    fails(connection, orders.insert().values(customer_id=customer, ref=None))
    fails(connection, customers.delete().where(customers.c.id == customer))
    indexes = sa.inspect(connection).get_indexes("ct_orders")
    assert {"name": "ix_ct_orders_customer", "column_names": ["customer_id"]}.items() <= next(
        i for i in indexes if i["name"] == "ix_ct_orders_customer"
    ).items()


def after(connection: sa.Connection) -> None:
    check(connection, "after")
    assert connection.execute(sa.select(sa.func.count()).select_from(orders)).scalar_one() == 2


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    # Each rollback drops the table with the rows written to it: a table only the new app uses
    # is rolled back only before that app goes live. The harness checks it is gone after each.
    engine, dialect = db
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["ct_customers", "ct_orders"],
            setup=SETUP,
            operations=[ORDERS],
            check=check,
            after=after,
        ),
    )


# --- in a PostgreSQL schema of its own, with a composite primary key -----------------------

SHOP_SETUP = [
    ops.CreateTable(
        "ct_shop.customers",
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False),
    )
]
LINES = CreateTable(
    "ct_shop.order_lines",
    Column("order_id", Integer, primary_key=True, autoincrement=False),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", Integer, ForeignKey("ct_shop.customers.id"), nullable=False),
    Column("sku", String(20), nullable=False),
    UniqueConstraint("order_id", "sku", name="uq_ct_lines_sku"),
    Index("ix_ct_lines_customer", "customer_id"),
)
shop_customers = sa.Table(
    "customers",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
    schema="ct_shop",
)
lines = sa.Table(
    "order_lines",
    sa.MetaData(),
    Column("order_id", Integer, primary_key=True, autoincrement=False),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", Integer),
    Column("sku", String(20)),
    schema="ct_shop",
)


def shop_check(connection: sa.Connection, phase: str) -> None:
    customer = connection.execute(
        shop_customers.insert().values(name=f"old-{phase}")
    ).inserted_primary_key[0]
    order = {"expand": 1, "backfill": 2, "again": 3, "after": 4}[phase]
    connection.execute(
        lines.insert(),
        [
            {"order_id": order, "line_no": 1, "customer_id": customer, "sku": "A"},
            {"order_id": order, "line_no": 2, "customer_id": customer, "sku": "B"},
        ],
    )
    query = sa.select(lines.c.sku).where(lines.c.order_id == order).order_by(lines.c.line_no)
    assert connection.execute(query).scalars().all() == ["A", "B"]
    # The composite primary key, the unique constraint and the foreign key all hold.
    row = {"order_id": order, "customer_id": customer}
    fails(connection, lines.insert().values(**row, line_no=1, sku="C"))
    fails(connection, lines.insert().values(**row, line_no=3, sku="A"))
    fails(connection, lines.insert().values(order_id=order, line_no=4, customer_id=-1, sku="D"))
    inspector = sa.inspect(connection)
    assert "order_lines" in inspector.get_table_names(schema="ct_shop")
    assert "order_lines" not in inspector.get_table_names()
    pk = inspector.get_pk_constraint("order_lines", schema="ct_shop")
    assert pk["constrained_columns"] == ["order_id", "line_no"]
    [fk] = inspector.get_foreign_keys("order_lines", schema="ct_shop")
    assert (fk["referred_schema"], fk["referred_table"]) == ("ct_shop", "customers")
    indexes = {
        i["name"]: i["column_names"] for i in inspector.get_indexes("order_lines", "ct_shop")
    }
    assert indexes["ix_ct_lines_customer"] == ["customer_id"]


def test_lifecycle_in_a_schema(pg_engine: sa.Engine) -> None:
    run_lifecycle(
        pg_engine,
        server_dialect(pg_engine),
        Lifecycle(
            tables=["ct_shop.customers", "ct_shop.order_lines"],
            setup=SHOP_SETUP,
            operations=[LINES],
            check=shop_check,
            after=lambda connection: shop_check(connection, "after"),
            schemas=["ct_shop"],
        ),
    )


# --- compiled SQL -------------------------------------------------------------------------


def _compiled(dialect: str, setup: list[ops.Operation], operation: CreateTable) -> list[str]:
    compiled = compile_ops(dialect, setup, [operation])
    assert compiled.steps[Phase.BACKFILL] == compiled.steps[Phase.CONTRACT] == []
    assert operation.table in compiled.after.tables
    sql = sql_by_phase(compiled)
    return sql[Phase.EXPAND] + sql[Phase.ROLLBACK]


def test_postgresql_sql_in_a_schema() -> None:
    assert _compiled("postgresql", SHOP_SETUP, LINES) == [
        'CREATE TABLE "ct_shop"."order_lines" (\n'
        '    "order_id" INTEGER NOT NULL,\n'
        '    "line_no" INTEGER NOT NULL,\n'
        '    "customer_id" INTEGER NOT NULL,\n'
        '    "sku" VARCHAR(20) NOT NULL,\n'
        '    CONSTRAINT "order_lines_pkey" PRIMARY KEY ("order_id", "line_no"),\n'
        '    CONSTRAINT "uq_ct_lines_sku" UNIQUE ("order_id", "sku"),\n'
        '    CONSTRAINT "order_lines_customer_id_fkey" FOREIGN KEY ("customer_id") '
        'REFERENCES "ct_shop"."customers" ("id")\n'
        ")",
        'CREATE INDEX "ix_ct_lines_customer" ON "ct_shop"."order_lines" ("customer_id")',
        'DROP TABLE "ct_shop"."order_lines"',
    ]


def test_foreign_key_lock_is_reported() -> None:
    # Creating a table that references another takes SHARE ROW EXCLUSIVE on the other, briefly.
    create, _ = compile_ops("postgresql", SETUP, [ORDERS]).steps[Phase.EXPAND]
    assert create.statement.lock == "SHARE ROW EXCLUSIVE"
    assert create.statement.blocks == ("writes",)


def test_mysql_sql() -> None:
    sql = _compiled("mariadb", SETUP, ORDERS)
    assert sql[0].startswith(
        "CREATE TABLE `ct_orders` (\n    `id` INTEGER NOT NULL AUTO_INCREMENT,"
    )
    assert "CONSTRAINT `uq_ct_orders_ref` UNIQUE (`ref`)" in sql[0]
    assert "`note` VARCHAR(50) DEFAULT 'none' NOT NULL" in sql[0]
    assert sql[1:] == [
        "CREATE INDEX `ix_ct_orders_customer` ON `ct_orders` (`customer_id`)",
        "DROP TABLE `ct_orders`",
    ]


def test_self_reference() -> None:
    tree = CreateTable(
        "ct_tree",
        Column("id", Integer, primary_key=True),
        Column("parent_id", Integer, ForeignKey("ct_tree.id")),
    )
    [create] = _compiled("postgresql", [], tree)[:1]
    assert 'REFERENCES "ct_tree" ("id")' in create


@pytest.mark.parametrize(
    ("operation", "error"),
    [
        (CreateTable("ct_customers", Column("id", Integer, primary_key=True)), TableExists),
        (
            CreateTable(
                "ct_refs",
                Column("id", Integer, primary_key=True),
                Column("x", Integer, ForeignKey("ct_nope.id")),
            ),
            TableNotFound,
        ),
    ],
)
def test_bad_input(operation: CreateTable, error: type[Exception]) -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    with pytest.raises(error, match="ct_"):
        compile_migration(Migration("m", [operation]), base, d)
