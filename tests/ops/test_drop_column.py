from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String

from tests.lifecycle import (
    Lifecycle,
    compile_ops,
    compiled,
    fails,
    run_lifecycle,
    set_up,
    sql_by_phase,
)
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import ColumnNotFound, ExecutionError, InvalidOperation, TableNotFound
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.drop_column import DropColumn
from zdmigrate.run.executor import run_phase, run_rollback
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

SETUP = [
    ops.CreateTable(
        "dc_regions",
        Column("id", Integer, primary_key=True),
        Column("name", String(20), nullable=False),
    ),
    ops.CreateTable(
        "dc_orders",
        Column("id", Integer, primary_key=True),
        Column("customer", String(50), nullable=False),
        Column("legacy_code", String(20), nullable=False),
        Column("region_id", Integer, ForeignKey("dc_regions.id", name="fk_dc_orders_region")),
        CheckConstraint("legacy_code <> ''", name="ck_dc_orders_legacy"),
        Index("ix_dc_orders_customer_legacy", "customer", "legacy_code"),
    ),
]
OPERATIONS = [DropColumn("dc_orders", "legacy_code"), DropColumn("dc_orders", "region_id")]

regions = sa.Table(
    "dc_regions",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(20)),
)
old = sa.Table(
    "dc_orders",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("customer", String(50)),
    Column("legacy_code", String(20)),
    Column("region_id", Integer),
)
new = sa.Table(
    "dc_orders",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("customer", String(50)),
)


def seed(connection: sa.Connection) -> None:
    region = connection.execute(regions.insert().values(name="north")).inserted_primary_key[0]
    connection.execute(
        old.insert(),
        [{"customer": f"seed{i}", "legacy_code": f"L{i}", "region_id": region} for i in range(9)],
    )


def check(connection: sa.Connection, phase: str) -> None:
    region = connection.execute(sa.select(regions.c.id)).scalars().first()
    connection.execute(
        old.insert().values(customer=f"old-{phase}", legacy_code=f"L-{phase}", region_id=region)
    )
    # The new app's insert leaves legacy_code out: expand made it nullable.
    new_id = connection.execute(new.insert().values(customer=f"new-{phase}")).inserted_primary_key[
        0
    ]
    row = connection.execute(
        sa.select(old.c.customer, old.c.legacy_code, old.c.region_id).where(old.c.id == new_id)
    ).one()
    assert tuple(row) == (f"new-{phase}", None, None)
    assert connection.execute(
        sa.select(new.c.id).where(new.c.customer == f"old-{phase}")
    ).scalar_one()
    # What the old app needs of the column still holds for its own writes.
    fails(connection, old.insert().values(customer="bad", legacy_code="", region_id=region))
    fails(connection, old.insert().values(customer="bad", legacy_code="x", region_id=999_999))
    # A rollback makes legacy_code NOT NULL again, so every row needs a value by then: the old
    # app gives the new app's row one (test_rollback_needs_values shows the refusal otherwise).
    connection.execute(old.update().where(old.c.id == new_id).values(legacy_code=f"F-{phase}"))


def after(connection: sa.Connection) -> None:
    new_id = connection.execute(new.insert().values(customer="after")).inserted_primary_key[0]
    assert connection.execute(sa.select(new.c.customer).where(new.c.id == new_id)).scalar_one() == (
        "after"
    )
    assert (
        connection.execute(
            sa.select(sa.func.count()).select_from(new).where(new.c.customer.like("seed%"))
        ).scalar_one()
        == 9
    )
    fails(connection, sa.select(old.c.legacy_code))
    fails(connection, old.insert().values(customer="late", legacy_code="L", region_id=None))
    # The index, the CHECK and the foreign key that used the columns went with them, whole.
    inspector = sa.inspect(connection)
    assert [i["name"] for i in inspector.get_indexes("dc_orders")] == []
    assert inspector.get_foreign_keys("dc_orders") == []
    checks = [c["name"] for c in inspector.get_check_constraints("dc_orders")]
    assert "ck_dc_orders_legacy" not in checks
    assert connection.execute(regions.delete()).rowcount == 1


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["dc_regions", "dc_orders"],
            setup=SETUP,
            operations=OPERATIONS,
            check=check,
            after=after,
            seed=seed,
        ),
    )


def test_rollback_needs_values(db: tuple[sa.Engine, Dialect]) -> None:
    """Rollback restores NOT NULL; rows the new app wrote without the column stop it, loudly,
    and leave the column as expand made it."""
    engine, dialect = db
    case = Lifecycle(
        tables=["dc_regions", "dc_orders"],
        setup=SETUP,
        operations=OPERATIONS,
        check=check,
        after=after,
    )
    migration = compiled(case, dialect, set_up(engine, dialect, case))
    run_phase(engine, migration, Phase.EXPAND, dialect)
    with engine.begin() as connection:
        connection.execute(new.insert().values(customer="no-legacy"))
    with pytest.raises(ExecutionError, match="legacy_code"):
        run_rollback(engine, migration, dialect, reached=Phase.EXPAND)
    with engine.begin() as connection:
        connection.execute(new.insert().values(customer="still-no-legacy"))
        connection.execute(old.update().values(legacy_code="filled"))
    run_rollback(engine, migration, dialect, reached=Phase.EXPAND)
    with engine.begin() as connection:
        fails(connection, new.insert().values(customer="refused"))


# --- compiled SQL -------------------------------------------------------------------------


def test_postgresql_sql() -> None:
    compiled = compile_ops("postgresql", SETUP, OPERATIONS)
    sql = sql_by_phase(compiled)
    # Only the NOT NULL column without a default needs loosening; region_id is nullable.
    assert sql[Phase.EXPAND] == ['ALTER TABLE "dc_orders" ALTER COLUMN "legacy_code" DROP NOT NULL']
    [loosen] = compiled.steps[Phase.EXPAND]
    assert not loosen.statement.scan and not loosen.statement.rewrite
    assert sql[Phase.CONTRACT] == [
        'DROP INDEX CONCURRENTLY "ix_dc_orders_customer_legacy"',
        'ALTER TABLE "dc_orders" DROP CONSTRAINT "ck_dc_orders_legacy"',
        'ALTER TABLE "dc_orders" DROP COLUMN "legacy_code"',
        'ALTER TABLE "dc_orders" DROP CONSTRAINT "fk_dc_orders_region"',
        'ALTER TABLE "dc_orders" DROP COLUMN "region_id"',
    ]
    assert sql[Phase.ROLLBACK] == [
        'ALTER TABLE "dc_orders" ALTER COLUMN "legacy_code" SET NOT NULL'
    ]
    [restore] = compiled.steps[Phase.ROLLBACK]
    assert restore.statement.scan
    assert "give them a value first" in (restore.statement.note or "")
    orders = compiled.after.table("dc_orders")
    assert list(orders.columns) == ["id", "customer"]
    assert orders.indexes == {} and orders.checks == {} and orders.foreign_keys == {}


def test_mysql_sql() -> None:
    compiled = compile_ops("mariadb", SETUP, OPERATIONS)
    sql = sql_by_phase(compiled)
    [loosen] = compiled.steps[Phase.EXPAND]
    assert loosen.sql == (
        "ALTER TABLE `dc_orders` MODIFY COLUMN `legacy_code` VARCHAR(20), "
        "ALGORITHM=INPLACE, LOCK=NONE"
    )
    assert loosen.statement.online and loosen.statement.rewrite
    assert "rebuilds the table in place" in (loosen.statement.note or "")
    # Dropped one by one first: MariaDB would refuse the column under the CHECK and the
    # foreign key, and would shrink the two-column index instead of dropping it.
    assert sql[Phase.CONTRACT] == [
        "ALTER TABLE `dc_orders` DROP INDEX `ix_dc_orders_customer_legacy`, "
        "ALGORITHM=INPLACE, LOCK=NONE",
        "ALTER TABLE `dc_orders` DROP CONSTRAINT `ck_dc_orders_legacy`, "
        "ALGORITHM=INPLACE, LOCK=NONE",
        "ALTER TABLE `dc_orders` DROP COLUMN `legacy_code`, ALGORITHM=INSTANT",
        "ALTER TABLE `dc_orders` DROP FOREIGN KEY `fk_dc_orders_region`, "
        "ALGORITHM=INPLACE, LOCK=NONE",
        # The index the server made for the foreign key stays: no instant drop.
        "ALTER TABLE `dc_orders` DROP COLUMN `region_id`, ALGORITHM=INPLACE, LOCK=NONE",
    ]
    [restore] = compiled.steps[Phase.ROLLBACK]
    assert "NOT NULL" in restore.sql and restore.statement.scan


def test_nullable_or_defaulted_column_needs_no_expand() -> None:
    setup = [
        ops.CreateTable(
            "dc_plain",
            Column("id", Integer, primary_key=True),
            Column("kind", String(10), nullable=False, server_default="a"),
            Column("note", String(10)),
        )
    ]
    operations = [DropColumn("dc_plain", "kind"), DropColumn("dc_plain", "note")]
    compiled = compile_ops("postgresql", setup, operations)
    assert compiled.steps[Phase.EXPAND] == compiled.steps[Phase.ROLLBACK] == []
    assert [s.sql for s in compiled.steps[Phase.CONTRACT]] == [
        'ALTER TABLE "dc_plain" DROP COLUMN "kind"',
        'ALTER TABLE "dc_plain" DROP COLUMN "note"',
    ]


@pytest.mark.parametrize(
    ("operation", "error", "message"),
    [
        (DropColumn("dc_orders", "nope"), ColumnNotFound, "nope"),
        (DropColumn("dc_nope", "id"), TableNotFound, "dc_nope"),
        (DropColumn("dc_orders", "id"), InvalidOperation, "primary key"),
        (DropColumn("dc_regions", "id"), InvalidOperation, "primary key"),
        (DropColumn("dc_lookup", "code"), InvalidOperation, "'dc_users'"),
    ],
)
def test_bad_input(operation: DropColumn, error: type[Exception], message: str) -> None:
    d = get_dialect("postgresql")
    setup = [
        *SETUP,
        ops.CreateTable(
            "dc_lookup",
            Column("id", Integer, primary_key=True),
            Column("code", String(10), nullable=False, unique=True),
        ),
        ops.CreateTable(
            "dc_users",
            Column("id", Integer, primary_key=True),
            Column("code", String(10), ForeignKey("dc_lookup.code")),
        ),
    ]
    base = compile_migration(Migration("setup", setup), Schema(), d).after
    with pytest.raises(error, match=message) as raised:
        compile_migration(Migration("m", [operation]), base, d)
    if isinstance(raised.value, InvalidOperation):
        assert raised.value.table == operation.table
