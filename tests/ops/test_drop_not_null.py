from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, Integer, String

from tests.lifecycle import Lifecycle, compile_ops, compiled, fails, run_lifecycle, set_up
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import ColumnNotFound, ExecutionError, InvalidOperation
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.drop_not_null import DropNotNull
from zdmigrate.run.executor import run_phase, run_rollback
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

SETUP = [
    ops.CreateTable(
        "dn_items",
        Column("id", Integer, primary_key=True),
        Column("name", String(40), nullable=False),
        Column("label", String(40), nullable=False),
        Column("note", String(40)),
    )
]
OPERATIONS = [DropNotNull("dn_items", "label")]

# The old app always writes a label; the new app may leave it out.
items = sa.Table(
    "dn_items",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(40)),
    Column("label", String(40)),
)


def label(connection: sa.Connection, name: str) -> object:
    return connection.execute(sa.select(items.c.label).where(items.c.name == name)).scalar_one()


def check(connection: sa.Connection, phase: str) -> None:
    connection.execute(items.insert().values(name=f"old-{phase}", label="boxed"))
    connection.execute(items.insert().values(name=f"new-{phase}"))
    assert label(connection, f"old-{phase}") == "boxed"
    assert label(connection, f"new-{phase}") is None
    # A rollback makes label NOT NULL again and needs a value in every row: the new app gives
    # its row one (test_rollback_needs_values shows the refusal otherwise).
    connection.execute(items.update().where(items.c.name == f"new-{phase}").values(label="later"))
    assert label(connection, f"new-{phase}") == "later"


def after(connection: sa.Connection) -> None:
    connection.execute(items.insert().values(name="after"))
    assert label(connection, "after") is None
    connection.execute(items.insert().values(name="after-old", label="boxed"))
    assert label(connection, "after-old") == "boxed"
    # What is gone is the guarantee: the old app now reads NULL labels.
    nulls = sa.select(sa.func.count()).where(items.c.label.is_(None))
    assert connection.execute(nulls).scalar_one() == 1


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["dn_items"],
            setup=SETUP,
            operations=OPERATIONS,
            check=check,
            after=after,
        ),
    )


def test_rollback_needs_values(db: tuple[sa.Engine, Dialect]) -> None:
    """Rollback sets NOT NULL back, which checks every row: a NULL the new app wrote stops it,
    with an error, and leaves the column nullable; once the rows have values it goes through."""
    engine, dialect = db
    case = Lifecycle(
        tables=["dn_items"], setup=SETUP, operations=OPERATIONS, check=check, after=after
    )
    migration = compiled(case, dialect, set_up(engine, dialect, case))
    run_phase(engine, migration, Phase.EXPAND, dialect)
    with engine.begin() as connection:
        connection.execute(items.insert().values(name="unlabelled"))
    with pytest.raises(ExecutionError, match="label"):
        run_rollback(engine, migration, dialect, reached=Phase.EXPAND)
    with engine.begin() as connection:
        connection.execute(items.insert().values(name="still-unlabelled"))
        connection.execute(items.update().where(items.c.label.is_(None)).values(label="fixed"))
    run_rollback(engine, migration, dialect, reached=Phase.EXPAND)
    with engine.begin() as connection:
        fails(connection, items.insert().values(name="refused"))


def _steps(dialect: str) -> dict[Phase, list[tuple[str, bool, bool, bool]]]:
    """Each phase's statements as (sql, scan, rewrite, online)."""
    compiled = compile_ops(dialect, SETUP, OPERATIONS)
    assert compiled.after.table("dn_items").column("label").nullable
    return {
        phase: [(s.sql, s.statement.scan, s.statement.rewrite, s.statement.online) for s in steps]
        for phase, steps in compiled.steps.items()
    }


def test_postgresql_sql() -> None:
    assert _steps("postgresql") == {
        # A catalog change: no scan, no rewrite.
        Phase.EXPAND: [
            ('ALTER TABLE "dn_items" ALTER COLUMN "label" DROP NOT NULL', False, False, True)
        ],
        Phase.BACKFILL: [],
        Phase.CONTRACT: [],
        # Checks every row under ACCESS EXCLUSIVE.
        Phase.ROLLBACK: [
            ('ALTER TABLE "dn_items" ALTER COLUMN "label" SET NOT NULL', True, False, False)
        ],
    }


def test_mysql_sql() -> None:
    steps = _steps("mariadb")
    # An in-place rebuild: it copies the rows, but reads and writes go on.
    assert steps[Phase.EXPAND] == [
        (
            "ALTER TABLE `dn_items` MODIFY COLUMN `label` VARCHAR(40), "
            "ALGORITHM=INPLACE, LOCK=NONE",
            False,
            True,
            True,
        )
    ]
    assert steps[Phase.ROLLBACK] == [
        (
            "ALTER TABLE `dn_items` MODIFY COLUMN `label` VARCHAR(40) NOT NULL, "
            "ALGORITHM=INPLACE, LOCK=NONE",
            True,
            True,
            True,
        )
    ]


@pytest.mark.parametrize(
    ("operation", "error", "message"),
    [
        (DropNotNull("dn_items", "nope"), ColumnNotFound, "nope"),
        (DropNotNull("dn_items", "note"), InvalidOperation, "nullable already"),
        (DropNotNull("dn_items", "id"), InvalidOperation, "primary key"),
    ],
)
def test_bad_input(operation: DropNotNull, error: type[Exception], message: str) -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    with pytest.raises(error, match=message) as raised:
        compile_migration(Migration("m", [operation]), base, d)
    assert raised.value.column == operation.column  # type: ignore[attr-defined]


def test_mysql_keeps_on_update_when_it_restates_the_column(mysql_engine: sa.Engine) -> None:
    """MODIFY COLUMN restates the whole column: an ON UPDATE clause must survive it."""
    from tests.conftest import server_dialect
    from zdmigrate.reflect import reflect_schema
    from zdmigrate.run.executor import run_all

    dialect = server_dialect(mysql_engine)
    with mysql_engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS dnn_stamped")
        connection.exec_driver_sql(
            "CREATE TABLE dnn_stamped (id INTEGER PRIMARY KEY, note VARCHAR(10), updated_at "
            "TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)"
        )
        before = reflect_schema(connection, dialect)
    assert before.table("dnn_stamped").column("updated_at").on_update == "CURRENT_TIMESTAMP"
    migration = compile_migration(
        Migration("m", [DropNotNull("dnn_stamped", "updated_at")]), before, dialect
    )
    run_all(mysql_engine, migration, dialect)
    with mysql_engine.begin() as connection:
        after = reflect_schema(connection, dialect).table("dnn_stamped").column("updated_at")
        connection.exec_driver_sql("DROP TABLE dnn_stamped")
    assert (after.nullable, after.default, after.on_update) == (
        True,
        "CURRENT_TIMESTAMP",
        "CURRENT_TIMESTAMP",
    )
