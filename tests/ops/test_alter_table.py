"""AlterTable on a real MariaDB: a shadow-table copy through expand, backfill and contract with
both apps writing, rolled back after expand and after the swap with nothing lost; and the
strategies it compiles to."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, Integer, String

from tests.conftest import server_dialect
from tests.lifecycle import Lifecycle, compile_ops, run_lifecycle, sql_by_phase
from zdmigrate import ops
from zdmigrate.errors import InvalidOperation
from zdmigrate.steps import Phase

TABLE = "at_events"
SETUP = [
    ops.CreateTable(
        TABLE,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("kind", String(20), nullable=False),
        Column("amount", Integer, nullable=False),
    )
]
CHANGE = ops.AlterTable(TABLE, "MODIFY amount BIGINT NOT NULL, ADD COLUMN note VARCHAR(40)")

old_app = sa.Table(
    TABLE,
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("kind", String(20)),
    Column("amount", Integer),
)
new_app = sa.Table(
    TABLE,
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("kind", String(20)),
    Column("amount", BigInteger),
    Column("note", String(40)),
)


def seed(connection: sa.Connection) -> None:
    connection.execute(old_app.insert(), [{"kind": f"seed-{n}", "amount": n} for n in range(50)])


def written(connection: sa.Connection, table: sa.Table, kind: str) -> list[tuple[object, ...]]:
    rows = connection.execute(sa.select(table.c.kind, table.c.amount).where(table.c.kind == kind))
    return [tuple(row) for row in rows]


def check(connection: sa.Connection, phase: str) -> None:
    # The old app inserts, updates and deletes, whatever the table's state.
    connection.execute(old_app.insert().values(kind=f"old-{phase}", amount=1))
    connection.execute(old_app.update().where(old_app.c.kind == "seed-1").values(amount=101))
    connection.execute(old_app.delete().where(old_app.c.kind == f"seed-{2 + len(phase)}"))
    assert written(connection, old_app, f"old-{phase}") == [(f"old-{phase}", 1)]
    assert written(connection, old_app, "seed-1") == [("seed-1", 101)]
    if phase == "expand":
        return  # the copy is swapped in at the end of backfill: the new app waits for it
    connection.execute(new_app.insert().values(kind=f"new-{phase}", amount=7, note="n"))
    assert written(connection, new_app, f"new-{phase}") == [(f"new-{phase}", 7)]
    # Every row the old app had made it into the copy.
    assert connection.execute(sa.select(sa.func.count()).select_from(new_app)).scalar() >= 48


def after_rollback(connection: sa.Connection, undone: str) -> None:
    # The original took the table's name back with what the new app wrote after the swap.
    if undone == "backfill":
        assert written(connection, old_app, "new-backfill") == [("new-backfill", 7)]
    assert written(connection, old_app, f"old-{'expand' if undone == 'expand' else 'backfill'}")
    assert no_copy_left(connection)


def after(connection: sa.Connection) -> None:
    connection.execute(new_app.insert().values(kind="after", amount=2**40, note="big"))
    assert written(connection, new_app, "after") == [("after", 2**40)]
    assert no_copy_left(connection)


def no_copy_left(connection: sa.Connection) -> bool:
    tables = connection.exec_driver_sql(f"SHOW TABLES LIKE '{TABLE}\\_zdm%%'").all()
    triggers = connection.exec_driver_sql(
        "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS "
        f"WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME LIKE '{TABLE}\\_zdm%%'"
    ).all()
    return tables == [] and triggers == []


def test_lifecycle(mysql_engine: sa.Engine) -> None:
    run_lifecycle(
        mysql_engine,
        server_dialect(mysql_engine),
        Lifecycle(
            tables=[TABLE, f"{TABLE}_zdm_new", f"{TABLE}_zdm_old"],
            setup=SETUP,
            operations=[CHANGE],
            check=check,
            after=after,
            seed=seed,
            after_rollback=after_rollback,
        ),
    )


def test_the_strategies_compile_to_their_phases() -> None:
    instant = sql_by_phase(
        compile_ops("mariadb", SETUP, [ops.AlterTable(TABLE, "ADD COLUMN note TEXT")])
    )
    assert instant[Phase.EXPAND] == [
        "ALTER TABLE `at_events` ALGORITHM=INSTANT, ADD COLUMN note TEXT"
    ]
    assert instant[Phase.BACKFILL] == instant[Phase.CONTRACT] == []
    shadow = compile_ops("mariadb", SETUP, [CHANGE])
    assert shadow.steps[Phase.EXPAND] == []
    [copy] = shadow.steps[Phase.BACKFILL]
    assert copy.statement.shadow is not None
    assert copy.statement.shadow.key == ("id",)
    assert sql_by_phase(shadow)[Phase.CONTRACT][-1] == "DROP TABLE IF EXISTS `at_events_zdm_old`"
    assert shadow.after.tables[TABLE].columns["amount"].type == "BIGINT"


def test_postgresql_and_a_forced_strategy_the_server_cannot_honour_are_refused() -> None:
    with pytest.raises(InvalidOperation, match="for MySQL and MariaDB"):
        compile_ops("postgresql", SETUP, [CHANGE])
    with pytest.raises(InvalidOperation, match="cannot do it instant"):
        compile_ops("mariadb", SETUP, [ops.AlterTable(TABLE, "MODIFY amount BIGINT", "instant")])
