from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Integer, Numeric, String

from tests.lifecycle import Lifecycle, compile_ops, fails, run_lifecycle
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import ColumnNotFound, InvalidOperation, TableNotFound
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.backfill import Backfill
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

SETUP = [
    ops.CreateTable(
        "bf_orders",
        Column("id", Integer, primary_key=True),
        Column("total_cents", Integer, nullable=False),
        Column("legacy", String(10)),
    ),
    ops.CreateTable("bf_keyless", Column("a", Integer)),
]

# The new app reads euros, which the migration adds and fills from the cents the old app writes.
OPERATIONS = [
    ops.AddColumn("bf_orders", Column("total_eur", Numeric(12, 2))),
    Backfill(
        "bf_orders",
        set={"total_eur": "total_cents / 100.0", "legacy": "'50%'"},
        where="total_eur IS NULL",
    ),
]

old = sa.Table(
    "bf_orders",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("total_cents", Integer),
    Column("legacy", String(10)),
)
new = sa.Table(
    "bf_orders",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("total_cents", Integer),
    Column("total_eur", Numeric(12, 2)),
    Column("legacy", String(10)),
)


def seed(connection: sa.Connection) -> None:
    connection.execute(old.insert(), [{"id": i, "total_cents": i * 125} for i in range(1, 31)])


def euros(connection: sa.Connection, row_id: int) -> object:
    return connection.execute(sa.select(new.c.total_eur).where(new.c.id == row_id)).scalar_one()


def check(connection: sa.Connection, phase: str) -> None:
    base = {"expand": 100, "backfill": 200, "again": 300}[phase]
    connection.execute(old.insert().values(id=base, total_cents=250))
    connection.execute(new.insert().values(id=base + 1, total_cents=300, total_eur=Decimal(3)))
    assert euros(connection, base + 1) == Decimal("3.00")
    assert (
        connection.execute(sa.select(old.c.total_cents).where(old.c.id == base + 1)).scalar() == 300
    )
    if phase == "expand":
        assert euros(connection, 4) is None
        return
    # Every row written before the backfill is filled, in batches of 7 rows; the % went through.
    assert euros(connection, 4) == Decimal("5.00")
    assert euros(connection, 30) == Decimal("37.50")
    unfilled = sa.select(sa.func.count()).where(new.c.id < 100, new.c.total_eur.is_(None))
    assert connection.execute(unfilled).scalar_one() == 0
    assert connection.execute(sa.select(new.c.legacy).where(new.c.id == 4)).scalar() == "50%"


def after(connection: sa.Connection) -> None:
    # No schema change to undo or retire: the new app reads what the backfill wrote.
    assert euros(connection, 12) == Decimal("15.00")
    connection.execute(new.insert().values(id=1000, total_cents=1, total_eur=Decimal("0.01")))
    fails(connection, sa.text("SELECT nope FROM bf_orders"))


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["bf_orders", "bf_keyless"],
            setup=SETUP,
            operations=OPERATIONS,
            check=check,
            after=after,
            seed=seed,
        ),
    )


@pytest.mark.parametrize("dialect", ["postgresql", "mariadb"])
def test_compiles_to_one_batched_update(dialect: str) -> None:
    d = get_dialect(dialect)
    steps = compile_ops(d, SETUP, OPERATIONS).steps
    assert [s.operation for s in steps[Phase.BACKFILL]] == ["Backfill"]
    statement = steps[Phase.BACKFILL][0].statement
    q = d.quote
    assert statement.sql == (
        f"UPDATE {q('bf_orders')} SET {q('total_eur')} = total_cents / 100.0, "
        f"{q('legacy')} = '50%' WHERE total_eur IS NULL"
    )
    assert statement.batched is not None
    assert statement.batched.key == ("id",)
    assert statement.online and statement.scan
    assert steps[Phase.CONTRACT] == []
    # Rollback undoes the AddColumn only: backfilled values are data, not schema.
    assert [s.operation for s in steps[Phase.ROLLBACK]] == ["AddColumn"]


@pytest.mark.parametrize(
    ("operation", "error", "message"),
    [
        (Backfill("bf_nope", set={"a": "1"}), TableNotFound, "bf_nope"),
        (Backfill("bf_orders", set={"nope": "1"}), ColumnNotFound, "nope"),
        (Backfill("bf_orders", set={}), InvalidOperation, "sets no column"),
        (Backfill("bf_keyless", set={"a": "1"}), InvalidOperation, "'bf_keyless' has no primary"),
    ],
)
def test_bad_input(operation: ops.Operation, error: type[Exception], message: str) -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    with pytest.raises(error, match=message):
        compile_migration(Migration("m", [operation]), base, d)


def test_a_colon_in_an_expression_is_not_a_bind_parameter(db: tuple[sa.Engine, Dialect]) -> None:
    """Batches run through sqlalchemy.text: ':ext' in a literal must stay text."""
    from tests.lifecycle import reset, set_up
    from zdmigrate.run.executor import run_phase

    engine, dialect = db
    case = Lifecycle(
        tables=["bf_orders", "bf_keyless"],
        setup=SETUP,
        operations=[],
        check=lambda c, p: None,
        after=lambda c: None,
    )
    baseline = set_up(engine, dialect, case)
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO bf_orders (total_cents) VALUES (1), (2)"))
    migration = compile_migration(
        Migration("colon", [Backfill("bf_orders", set={"legacy": "'a:ext'"})]), baseline, dialect
    )
    run_phase(engine, migration, Phase.BACKFILL, dialect)
    with engine.connect() as connection:
        values = connection.execute(sa.text("SELECT DISTINCT legacy FROM bf_orders")).scalars()
        assert list(values) == ["a:ext"]
    reset(engine, dialect, case)
