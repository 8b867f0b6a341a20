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
    state,
)
from zdmigrate import ops
from zdmigrate.dialects import Dialect, get_dialect
from zdmigrate.errors import ColumnNotFound, ExecutionError, InvalidOperation, ObjectExists
from zdmigrate.migration import Migration, compile_migration
from zdmigrate.ops.add_unique_constraint import AddUniqueConstraint
from zdmigrate.run.executor import run_phase, run_rollback
from zdmigrate.schema import Schema
from zdmigrate.steps import Phase

NAME = "uq_uc_users_tenant_email"
SETUP = [
    ops.CreateTable(
        "uc_users",
        Column("id", Integer, primary_key=True),
        Column("tenant", Integer, nullable=False),
        Column("email", String(100), nullable=False),
    ),
    ops.CreateIndex("ix_uc_users_email", "uc_users", ["email"]),
]
OPERATION = AddUniqueConstraint(NAME, "uc_users", ["tenant", "email"])

old = sa.Table(
    "uc_users",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("tenant", Integer),
    Column("email", String(100)),
)
new = sa.Table(
    "uc_users",
    sa.MetaData(),
    Column("id", Integer, primary_key=True),
    Column("tenant", Integer),
    Column("email", String(100)),
    sa.UniqueConstraint("tenant", "email", name=NAME),
)


def seed(connection: sa.Connection) -> None:
    connection.execute(old.insert(), [{"tenant": i % 3, "email": f"u{i}@x"} for i in range(20)])


def count(connection: sa.Connection, tenant: int, email: str) -> int:
    return int(
        connection.execute(
            sa.select(sa.func.count())
            .select_from(new)
            .where(new.c.tenant == tenant, new.c.email == email)
        ).scalar_one()
    )


def check(connection: sa.Connection, phase: str) -> None:
    connection.execute(old.insert().values(tenant=1, email=f"old-{phase}@x"))
    connection.execute(new.insert().values(tenant=1, email=f"new-{phase}@x"))
    assert count(connection, 1, f"old-{phase}@x") == 1
    assert (
        connection.execute(
            sa.select(old.c.tenant).where(old.c.email == f"new-{phase}@x")
        ).scalar_one()
        == 1
    )
    # Refused from expand on, whichever app writes it; the same email in another tenant is fine.
    fails(connection, old.insert().values(tenant=1, email="u1@x"))
    fails(connection, new.insert().values(tenant=1, email=f"old-{phase}@x"))
    connection.execute(old.insert().values(tenant=2, email=f"old-{phase}@x"))
    assert count(connection, 1, "u1@x") == 1


def after(connection: sa.Connection) -> None:
    connection.execute(new.insert().values(tenant=0, email="after@x"))
    assert count(connection, 0, "after@x") == 1
    fails(connection, new.insert().values(tenant=0, email="after@x"))
    fails(connection, old.insert().values(tenant=1, email="u1@x"))
    connection.execute(new.insert().values(tenant=1, email="after@x"))


CASE = Lifecycle(
    tables=["uc_users"], setup=SETUP, operations=[OPERATION], check=check, after=after, seed=seed
)


def test_lifecycle(db: tuple[sa.Engine, Dialect]) -> None:
    engine, dialect = db
    run_lifecycle(engine, dialect, CASE)


def test_duplicates_fail_expand_naming_the_constraint(db: tuple[sa.Engine, Dialect]) -> None:
    """Existing duplicates stop expand with an error that names the constraint. PostgreSQL's
    failed CONCURRENTLY build leaves an INVALID index behind; once the data is cleaned, the
    next expand drops it and builds the constraint."""
    engine, dialect = db

    def with_duplicates(connection: sa.Connection) -> None:
        seed(connection)
        connection.execute(old.insert().values(tenant=1, email="u1@x"))

    case = dataclasses.replace(CASE, seed=with_duplicates)
    migration = compiled(case, dialect, set_up(engine, dialect, case))
    with pytest.raises(ExecutionError, match=NAME) as raised:
        run_phase(engine, migration, Phase.EXPAND, dialect)
    assert raised.value.phase == "expand"
    with engine.begin() as connection:
        connection.execute(old.delete().where(old.c.tenant == 1, old.c.email == "u1@x"))
    run_phase(engine, migration, Phase.EXPAND, dialect)
    with engine.begin() as connection:
        connection.execute(old.insert().values(tenant=1, email="u1@x"))
        fails(connection, old.insert().values(tenant=1, email="u1@x"))
    run_rollback(engine, migration, dialect, reached=Phase.EXPAND)
    assert leftovers(engine, dialect, case) == []


def test_rollback_after_a_failed_expand_leaves_nothing(db: tuple[sa.Engine, Dialect]) -> None:
    """An expand that failed part-way is rolled back too; the drops of what it never made
    are skipped, and the rollback can run twice."""
    engine, dialect = db

    def with_duplicates(connection: sa.Connection) -> None:
        seed(connection)
        connection.execute(old.insert().values(tenant=1, email="u1@x"))

    case = dataclasses.replace(CASE, seed=with_duplicates)
    start_schema = set_up(engine, dialect, case)
    start = state(engine, dialect, case)
    migration = compiled(case, dialect, start_schema)
    with pytest.raises(ExecutionError, match=NAME):
        run_phase(engine, migration, Phase.EXPAND, dialect)
    run_rollback(engine, migration, dialect, reached=Phase.EXPAND)
    assert state(engine, dialect, case) == start
    run_rollback(engine, migration, dialect, reached=Phase.EXPAND)
    assert state(engine, dialect, case) == start
    assert leftovers(engine, dialect, case) == []


def _compiled(dialect: str) -> dict[Phase, list[str]]:
    migration = compile_ops(dialect, SETUP, [OPERATION])
    assert NAME in migration.after.tables["uc_users"].uniques
    return sql_by_phase(migration)


def test_postgresql_sql() -> None:
    assert _compiled("postgresql") == {
        Phase.EXPAND: [
            f'DROP INDEX CONCURRENTLY IF EXISTS "{NAME}"',
            f'CREATE UNIQUE INDEX CONCURRENTLY "{NAME}" ON "uc_users" ("tenant", "email")',
            f'ALTER TABLE "uc_users" ADD CONSTRAINT "{NAME}" UNIQUE USING INDEX "{NAME}"',
        ],
        Phase.BACKFILL: [],
        Phase.CONTRACT: [],
        Phase.ROLLBACK: [
            f'ALTER TABLE "uc_users" DROP CONSTRAINT "{NAME}"',
            f'DROP INDEX CONCURRENTLY "{NAME}"',
        ],
    }


def test_mysql_sql() -> None:
    assert _compiled("mysql") == {
        Phase.EXPAND: [
            f"ALTER TABLE `uc_users` ADD UNIQUE INDEX `{NAME}` (`tenant`, `email`), "
            "ALGORITHM=INPLACE, LOCK=NONE"
        ],
        Phase.BACKFILL: [],
        Phase.CONTRACT: [],
        Phase.ROLLBACK: [
            f"ALTER TABLE `uc_users` DROP INDEX `{NAME}`, ALGORITHM=INPLACE, LOCK=NONE"
        ],
    }


@pytest.mark.parametrize(
    ("operation", "error", "match"),
    [
        (AddUniqueConstraint("uq_x", "uc_users", ["tenant", "nope"]), ColumnNotFound, "nope"),
        (AddUniqueConstraint("ix_uc_users_email", "uc_users", ["email"]), ObjectExists, "ix_uc"),
        (AddUniqueConstraint("uq_x", "uc_users", []), InvalidOperation, "uq_x.*uc_users"),
    ],
)
def test_bad_input(operation: AddUniqueConstraint, error: type[Exception], match: str) -> None:
    d = get_dialect("postgresql")
    base = compile_migration(Migration("setup", SETUP), Schema(), d).after
    with pytest.raises(error, match=match):
        compile_migration(Migration("m", [operation]), base, d)
