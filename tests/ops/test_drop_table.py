from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import Column, ForeignKey, Integer, String

from tests.lifecycle import Lifecycle, compile_ops, fails, run_lifecycle, sql_by_phase
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import InvalidOperation, TableNotFound
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.drop_table import DropTable
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

SETUP = [
    ops.CreateTable(
        "dt_users",
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False),
    ),
    ops.CreateTable(
        "dt_audit",
        Column("id", Integer, primary_key=True),
        Column("user_id", Integer, ForeignKey("dt_users.id"), nullable=False),
        Column("what", String(50), nullable=False),
    ),
]

# Both app versions use dt_users; only the old one writes an audit trail.
users = sa.Table(
    "dt_users",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(50)),
)
audit = sa.Table(
    "dt_audit",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer),
    Column("what", String(50)),
)


def seed(connection: sa.Connection) -> None:
    user = connection.execute(users.insert().values(name="seed")).inserted_primary_key[0]
    connection.execute(audit.insert().values(user_id=user, what="seeded"))


def old_app_writes(connection: sa.Connection, name: str) -> int:
    user = connection.execute(users.insert().values(name=name)).inserted_primary_key[0]
    connection.execute(audit.insert().values(user_id=user, what=f"created {name}"))
    return int(user)


def name_of(connection: sa.Connection, user: int) -> str:
    return str(connection.execute(sa.select(users.c.name).where(users.c.id == user)).scalar_one())


def check(connection: sa.Connection, phase: str) -> None:
    old_user = old_app_writes(connection, f"old-{phase}")
    new_user = connection.execute(users.insert().values(name=f"new-{phase}")).inserted_primary_key[
        0
    ]
    assert name_of(connection, old_user) == f"old-{phase}"
    assert name_of(connection, new_user) == f"new-{phase}"
    # The old app still reads its audit trail, including rows written before the migration.
    whats = connection.execute(sa.select(audit.c.what).order_by(audit.c.id)).scalars().all()
    assert whats[0] == "seeded"
    assert f"created old-{phase}" in whats
    # The table and its foreign key are all still there: a user with audit rows stays.
    fails(connection, users.delete().where(users.c.id == old_user))


def after(connection: sa.Connection) -> None:
    user = connection.execute(users.insert().values(name="after")).inserted_primary_key[0]
    assert name_of(connection, user) == "after"
    # The audit trail is gone, and with it the foreign key that kept audited users.
    seeded = connection.execute(sa.select(users.c.id).where(users.c.name == "seed")).scalar_one()
    assert connection.execute(users.delete().where(users.c.id == seeded)).rowcount == 1
    fails(connection, sa.select(audit.c.what))
    fails(connection, audit.insert().values(user_id=user, what="late"))


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(
        engine,
        dialect,
        Lifecycle(
            tables=["dt_users", "dt_audit"],
            setup=SETUP,
            operations=[DropTable("dt_audit")],
            check=check,
            after=after,
            seed=seed,
        ),
    )


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [("postgresql", 'DROP TABLE "dt_audit"'), ("mysql", "DROP TABLE `dt_audit`")],
)
def test_only_contract_drops(dialect: str, sql: str) -> None:
    compiled = sql_by_phase(compile_ops(dialect, SETUP, [DropTable("dt_audit")]))
    assert compiled == {
        Phase.EXPAND: [],
        Phase.BACKFILL: [],
        Phase.CONTRACT: [sql],
        Phase.ROLLBACK: [],
    }


def test_referencing_table_dropped_first() -> None:
    # The model threads through the operations: once dt_audit is gone, nothing references dt_users.
    compiled = sql_by_phase(
        compile_ops("postgresql", SETUP, [DropTable("dt_audit"), DropTable("dt_users")])
    )
    assert compiled[Phase.CONTRACT] == ['DROP TABLE "dt_audit"', 'DROP TABLE "dt_users"']


def test_self_reference_does_not_block() -> None:
    tree = ops.CreateTable(
        "dt_tree",
        Column("id", Integer, primary_key=True),
        Column("parent_id", Integer, ForeignKey("dt_tree.id")),
    )
    compiled = compile_ops("postgresql", [tree], [DropTable("dt_tree")])
    assert "dt_tree" not in compiled.after.tables


def test_referenced_table_refused() -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    with pytest.raises(InvalidOperation, match="'dt_audit'") as raised:
        compile_migration(Migration("m", [DropTable("dt_users")]), base, d)
    assert raised.value.table == "dt_users"


def test_missing_table() -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    with pytest.raises(TableNotFound):
        compile_migration(Migration("m", [DropTable("dt_nope")]), base, d)
